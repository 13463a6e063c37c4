import { escapeXml } from './xml';

/**
 * The warehouse's SOAP 1.1 contract, written by hand like the real one's (document/literal,
 * wrapped: each request element is named after its operation). The simulator and the client both
 * read it, so the two cannot drift apart.
 */
export const WMS_NAMESPACE = 'urn:flash-sale:wms';
export const WMS_PATH = '/wms';
/** The most allocations one ListAllocations reply carries, and what it carries when asked for no number. */
export const MAX_ALLOCATIONS_PAGE = 1_000;
export const OPERATIONS = ['AllocateStock', 'CancelAllocation', 'GetAllocation', 'ListAllocations', 'GetStockLevels', 'ListMovements'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** The SOAPAction of an operation; the last path segment is the operation, as `soap` also matches it. */
export const soapActionOf = (operation: Operation) => `${WMS_NAMESPACE}/${operation}`;

/** The WSDL, its service address set to `location` (the URL the simulator listens on). */
export const wmsWsdl = (location: string) => `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="Wms" targetNamespace="${WMS_NAMESPACE}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="${WMS_NAMESPACE}">
  <wsdl:types>
    <xsd:schema targetNamespace="${WMS_NAMESPACE}" elementFormDefault="qualified">
      <xsd:simpleType name="AllocationStatus">
        <xsd:restriction base="xsd:string">
          <xsd:enumeration value="allocated"/>
          <xsd:enumeration value="rejected"/>
          <xsd:enumeration value="cancelled"/>
        </xsd:restriction>
      </xsd:simpleType>
      <xsd:complexType name="Allocation">
        <xsd:sequence>
          <xsd:element name="reservationId" type="xsd:string"/>
          <!-- empty, with qty 0, for a reservation cancelled before it was ever allocated -->
          <xsd:element name="sku" type="xsd:string"/>
          <xsd:element name="qty" type="xsd:int"/>
          <xsd:element name="status" type="tns:AllocationStatus"/>
          <xsd:element name="allocationId" type="xsd:string" minOccurs="0"/>
          <xsd:element name="reason" type="xsd:string" minOccurs="0"/>
          <xsd:element name="updatedAt" type="xsd:dateTime"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:element name="AllocateStock">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="reservationId" type="xsd:string"/>
            <xsd:element name="sku" type="xsd:string"/>
            <xsd:element name="qty" type="xsd:int"/>
            <!-- absent: the warehouse's default location -->
            <xsd:element name="location" type="xsd:string" minOccurs="0"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="AllocateStockResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="status" type="tns:AllocationStatus"/>
            <xsd:element name="allocationId" type="xsd:string" minOccurs="0"/>
            <xsd:element name="reason" type="xsd:string" minOccurs="0"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="CancelAllocation">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="reservationId" type="xsd:string"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="CancelAllocationResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="status" type="tns:AllocationStatus"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="GetAllocation">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="reservationId" type="xsd:string"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="GetAllocationResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="found" type="xsd:boolean"/>
            <xsd:element name="allocation" type="tns:Allocation" minOccurs="0"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="ListAllocations">
        <xsd:annotation>
          <xsd:documentation>One page of the allocations, in the order the warehouse first recorded them (one
            recorded meanwhile lands on a later page). Callers page: pass each reply's next back as after until
            a reply has no next. A request without after and limit answers the first ${MAX_ALLOCATIONS_PAGE}.</xsd:documentation>
        </xsd:annotation>
        <xsd:complexType>
          <xsd:sequence>
            <!-- absent: from the first; else the next of the previous page (an unknown one is a Client fault) -->
            <xsd:element name="after" type="xsd:string" minOccurs="0"/>
            <!-- 1-${MAX_ALLOCATIONS_PAGE}; absent: ${MAX_ALLOCATIONS_PAGE} -->
            <xsd:element name="limit" type="xsd:int" minOccurs="0"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="ListAllocationsResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="allocation" type="tns:Allocation" minOccurs="0" maxOccurs="unbounded"/>
            <!-- the cursor for the next page (the last reservationId returned); absent: this was the last page -->
            <xsd:element name="next" type="xsd:string" minOccurs="0"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:complexType name="StockLevel">
        <xsd:sequence>
          <xsd:element name="location" type="xsd:string"/>
          <xsd:element name="sku" type="xsd:string"/>
          <xsd:element name="physical" type="xsd:int"/>
          <xsd:element name="allocated" type="xsd:int"/>
          <xsd:element name="shipped" type="xsd:int"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:element name="GetStockLevels">
        <xsd:complexType>
          <xsd:sequence>
            <!-- absent: every location -->
            <xsd:element name="location" type="xsd:string" minOccurs="0"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="GetStockLevelsResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="level" type="tns:StockLevel" minOccurs="0" maxOccurs="unbounded"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:simpleType name="MovementType">
        <xsd:restriction base="xsd:string">
          <xsd:enumeration value="receipt"/>
          <xsd:enumeration value="count"/>
          <xsd:enumeration value="damage"/>
          <xsd:enumeration value="shipment"/>
        </xsd:restriction>
      </xsd:simpleType>
      <xsd:complexType name="Movement">
        <xsd:sequence>
          <xsd:element name="sequence" type="xsd:int"/>
          <xsd:element name="document" type="xsd:string"/>
          <xsd:element name="type" type="tns:MovementType"/>
          <xsd:element name="location" type="xsd:string"/>
          <xsd:element name="sku" type="xsd:string"/>
          <!-- units moved; for a count, the units counted -->
          <xsd:element name="qty" type="xsd:int"/>
          <!-- signed change of the physical stock -->
          <xsd:element name="delta" type="xsd:int"/>
          <!-- a shipment's allocation -->
          <xsd:element name="reservationId" type="xsd:string" minOccurs="0"/>
          <xsd:element name="at" type="xsd:dateTime"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:element name="ListMovements">
        <xsd:complexType>
          <xsd:sequence>
            <!-- the cursor: movements with a greater sequence; 0 from the start -->
            <xsd:element name="after" type="xsd:int"/>
            <xsd:element name="limit" type="xsd:int"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="ListMovementsResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="movement" type="tns:Movement" minOccurs="0" maxOccurs="unbounded"/>
            <!-- the cursor for the next page: the last sequence returned, or the one given -->
            <xsd:element name="next" type="xsd:int"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </wsdl:types>

${OPERATIONS.map(
  (op) => `  <wsdl:message name="${op}Input"><wsdl:part name="parameters" element="tns:${op}"/></wsdl:message>
  <wsdl:message name="${op}Output"><wsdl:part name="parameters" element="tns:${op}Response"/></wsdl:message>
`,
).join('')}
  <wsdl:portType name="WmsPortType">
${OPERATIONS.map(
  (op) => `    <wsdl:operation name="${op}">
      <wsdl:input message="tns:${op}Input"/>
      <wsdl:output message="tns:${op}Output"/>
    </wsdl:operation>
`,
).join('')}  </wsdl:portType>

  <wsdl:binding name="WmsBinding" type="tns:WmsPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
${OPERATIONS.map(
  (op) => `    <wsdl:operation name="${op}">
      <soap:operation soapAction="${soapActionOf(op)}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
`,
).join('')}  </wsdl:binding>

  <wsdl:service name="WmsService">
    <wsdl:port name="WmsPort" binding="tns:WmsBinding">
      <soap:address location="${escapeXml(location)}"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;
