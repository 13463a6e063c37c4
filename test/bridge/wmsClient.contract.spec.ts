import { CONTRACT_LOCATIONS, describeWmsClientContract } from './wmsClient.contract';
import { sapAdmin, useSapClients } from './sap/support/sapClient';
import { admin, useWmsSimulators } from './support/wmsSimulator';

/** The one warehouse port, its contract run against each kind's adapter and simulator: no mocks. */

const soap = useWmsSimulators();
const sap = useSapClients();

describeWmsClientContract('SOAP', async () => {
  const { simulator, client } = await soap.start({ locations: [...CONTRACT_LOCATIONS], unstocked: 'empty' });
  return { client, admin: (method, path, body) => admin(simulator, method, path, body) };
});

describeWmsClientContract('SAP OData', async () => {
  const { simulator, client } = await sap.start({ unstocked: 'empty' });
  return { client, admin: (method, path, body) => sapAdmin(simulator, method, path, body) };
});
