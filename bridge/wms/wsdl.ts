import { escapeXml } from './xml';

/**
 * The warehouse's SOAP 1.1 contract, written by hand like the real one's (document/literal,
 * wrapped: each request element is named after its operation). The simulator and the client both
 * read it, so the two cannot drift apart.
 */
export const WMS_NAMESPACE = 'urn:flash-sale:wms';
export const WMS_PATH = '/wms';
export const OPERATIONS = ['AllocateStock', 'CancelAllocation', 'GetAllocation', 'ListAllocations'] as const;
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
        <xsd:complexType>
          <xsd:sequence/>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="ListAllocationsResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="allocation" type="tns:Allocation" minOccurs="0" maxOccurs="unbounded"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </wsdl:types>

  <wsdl:message name="AllocateStockInput"><wsdl:part name="parameters" element="tns:AllocateStock"/></wsdl:message>
  <wsdl:message name="AllocateStockOutput"><wsdl:part name="parameters" element="tns:AllocateStockResponse"/></wsdl:message>
  <wsdl:message name="CancelAllocationInput"><wsdl:part name="parameters" element="tns:CancelAllocation"/></wsdl:message>
  <wsdl:message name="CancelAllocationOutput"><wsdl:part name="parameters" element="tns:CancelAllocationResponse"/></wsdl:message>
  <wsdl:message name="GetAllocationInput"><wsdl:part name="parameters" element="tns:GetAllocation"/></wsdl:message>
  <wsdl:message name="GetAllocationOutput"><wsdl:part name="parameters" element="tns:GetAllocationResponse"/></wsdl:message>
  <wsdl:message name="ListAllocationsInput"><wsdl:part name="parameters" element="tns:ListAllocations"/></wsdl:message>
  <wsdl:message name="ListAllocationsOutput"><wsdl:part name="parameters" element="tns:ListAllocationsResponse"/></wsdl:message>

  <wsdl:portType name="WmsPortType">
    <wsdl:operation name="AllocateStock">
      <wsdl:input message="tns:AllocateStockInput"/>
      <wsdl:output message="tns:AllocateStockOutput"/>
    </wsdl:operation>
    <wsdl:operation name="CancelAllocation">
      <wsdl:input message="tns:CancelAllocationInput"/>
      <wsdl:output message="tns:CancelAllocationOutput"/>
    </wsdl:operation>
    <wsdl:operation name="GetAllocation">
      <wsdl:input message="tns:GetAllocationInput"/>
      <wsdl:output message="tns:GetAllocationOutput"/>
    </wsdl:operation>
    <wsdl:operation name="ListAllocations">
      <wsdl:input message="tns:ListAllocationsInput"/>
      <wsdl:output message="tns:ListAllocationsOutput"/>
    </wsdl:operation>
  </wsdl:portType>

  <wsdl:binding name="WmsBinding" type="tns:WmsPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="AllocateStock">
      <soap:operation soapAction="${soapActionOf('AllocateStock')}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="CancelAllocation">
      <soap:operation soapAction="${soapActionOf('CancelAllocation')}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="GetAllocation">
      <soap:operation soapAction="${soapActionOf('GetAllocation')}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="ListAllocations">
      <soap:operation soapAction="${soapActionOf('ListAllocations')}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>

  <wsdl:service name="WmsService">
    <wsdl:port name="WmsPort" binding="tns:WmsBinding">
      <soap:address location="${escapeXml(location)}"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;
