import { keysOf, type EntityType, type Navigation, type Property, type ServiceModel } from './model';

/** Where SAP Gateway serves its OData V2 services; each service is a folder below it. */
export const SERVICE_ROOT = '/sap/opu/odata/sap';

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const attrs = (values: Record<string, string | number | undefined>) =>
  Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escape(String(v))}"`)
    .join('');

const typeName = (entity: Pick<EntityType, 'set'>) => `${entity.set}Type`;
const associationName = (from: EntityType, nav: Navigation) => `assoc_${from.set}_${nav.to}`;

function property(p: Property): string {
  return `<Property${attrs({
    Name: p.name,
    Type: p.type,
    Nullable: p.key || p.nullable === false ? 'false' : undefined,
    MaxLength: p.maxLength,
    Precision: p.decimal?.precision ?? (p.type === 'Edm.DateTime' || p.type === 'Edm.Time' ? 0 : undefined),
    Scale: p.decimal?.scale,
    'sap:display-format': p.dateOnly ? 'Date' : undefined,
    'sap:label': p.label,
  })}/>`;
}

function entityType(service: string, entity: EntityType): string {
  return [
    `<EntityType${attrs({ Name: typeName(entity), 'sap:label': entity.label, 'sap:content-version': '1' })}>`,
    `<Key>${keysOf(entity).map((name) => `<PropertyRef Name="${name}"/>`).join('')}</Key>`,
    ...entity.properties.map(property),
    ...entity.navigations.map(
      (nav) =>
        `<NavigationProperty${attrs({ Name: nav.name, Relationship: `${service}.${associationName(entity, nav)}`, FromRole: `FromRole_${associationName(entity, nav)}`, ToRole: `ToRole_${associationName(entity, nav)}` })}/>`,
    ),
    '</EntityType>',
  ].join('');
}

function associations(service: string, model: ServiceModel): { types: string[]; sets: string[] } {
  const types: string[] = [];
  const sets: string[] = [];
  for (const from of model.entities) {
    for (const nav of from.navigations) {
      const name = associationName(from, nav);
      const to = model.entities.find((e) => e.set === nav.to)!;
      types.push(
        `<Association Name="${name}" sap:content-version="1"><End Type="${service}.${typeName(from)}" Multiplicity="1" Role="FromRole_${name}"/><End Type="${service}.${typeName(to)}" Multiplicity="${nav.multiplicity}" Role="ToRole_${name}"/></Association>`,
      );
      sets.push(
        `<AssociationSet Name="${name}" Association="${service}.${name}" sap:creatable="false" sap:updatable="false" sap:deletable="false" sap:content-version="1"><End EntitySet="${from.set}" Role="FromRole_${name}"/><End EntitySet="${to.set}" Role="ToRole_${name}"/></AssociationSet>`,
      );
    }
  }
  return { types, sets };
}

/**
 * The service's `$metadata`: EDMX 1.0 with DataServiceVersion 2.0 and SAP's annotations, as SAP
 * Gateway writes it. The self link names the service's path, from which SAP's client generator
 * takes its base path.
 */
export function edmx(model: ServiceModel, origin: string): string {
  const service = model.name;
  const { types, sets } = associations(service, model);
  const entitySets = model.entities.map(
    (e) =>
      `<EntitySet${attrs({ Name: e.set, EntityType: `${service}.${typeName(e)}`, 'sap:creatable': String(e.creatable), 'sap:updatable': String(e.updatable), 'sap:deletable': String(e.deletable), 'sap:pageable': 'true', 'sap:content-version': '1' })}/>`,
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:sap="http://www.sap.com/Protocols/SAPData">',
    '<edmx:DataServices m:DataServiceVersion="2.0">',
    `<Schema Namespace="${service}" xml:lang="en" sap:schema-version="1" xmlns="http://schemas.microsoft.com/ado/2008/09/edm">`,
    ...model.entities.map((entity) => entityType(service, entity)),
    ...types,
    `<EntityContainer Name="${service}_Entities" m:IsDefaultEntityContainer="true" sap:supported-formats="atom json xlsx">`,
    ...entitySets,
    ...sets,
    '</EntityContainer>',
    `<atom:link rel="self" href="${escape(`${origin}${SERVICE_ROOT}/${service}/$metadata`)}" xmlns:atom="http://www.w3.org/2005/Atom"/>`,
    `<atom:link rel="latest-version" href="${escape(`${origin}${SERVICE_ROOT}/${service}/$metadata`)}" xmlns:atom="http://www.w3.org/2005/Atom"/>`,
    '</Schema>',
    '</edmx:DataServices>',
    '</edmx:Edmx>',
  ].join('\n');
}
