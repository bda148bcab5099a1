"""A real zeep client of the gateway's WSDL, driven by the Node tests.

Run with /usr/bin/python3 (Debian's python3-zeep). Every command prints one
JSON object on stdout.

  describe WSDL_PATH
      the service's ports, their binding class and, per operation, the
      input element's children (name, type, minOccurs, maxOccurs)
  message WSDL_PATH XSD_PATH OPERATION JSON_ARGS
      builds the request with client.create_message (no network), reports
      the Body child's QName and children, and validates the Body child
      against the standalone XSD with lxml
  roundtrip WSDL_URL USER PASSWORD PORT_NAME
      fetches the WSDL over HTTP with Basic auth, then calls all nine
      operations on port PORT_NAME (ServiceNowSoap or ServiceNowSoap12) of a
      live gateway and reports each result as zeep parsed it
"""

import json
import sys

import requests
import zeep
from lxml import etree
from zeep.helpers import serialize_object

SOAP11_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"


def describe(wsdl_path):
    client = zeep.Client(wsdl_path)
    services = {}
    for service in client.wsdl.services.values():
        ports = {}
        for port in service.ports.values():
            operations = {}
            for name, operation in port.binding._operations.items():
                operations[name] = {
                    "input_element": operation.input.body.qname.text,
                    "input_children": input_children(operation.input.body),
                    "soap_action": operation.soapaction,
                }
            ports[port.name] = {
                "binding": type(port.binding).__name__,
                "location": port.binding_options["address"],
                "operations": operations,
            }
        services[service.name] = ports
    return {"services": services}


def input_children(body_element):
    children = []
    for name, child in body_element.type.elements:
        children.append(
            {
                "name": name,
                "qualified": child.qname.namespace is not None and child.qname.namespace != "",
                "type": child.type.qname.text if child.type.qname is not None else "anonymous",
                "min_occurs": child.min_occurs,
                "max_occurs": child.max_occurs,
            }
        )
    return children


def message(wsdl_path, xsd_path, operation, args_json):
    client = zeep.Client(wsdl_path)
    envelope = client.create_message(client.service, operation, **json.loads(args_json))
    body = envelope.find("{%s}Body" % SOAP11_ENVELOPE)
    request = body[0]
    schema = etree.XMLSchema(etree.parse(xsd_path))
    valid = schema.validate(etree.fromstring(etree.tostring(request)))
    return {
        "envelope_namespace": etree.QName(envelope).namespace,
        "body_child": request.tag,
        "body_child_count": len(body),
        "children": [{"tag": child.tag, "text": child.text} for child in request],
        "valid_against_xsd": valid,
        "xsd_errors": [str(error) for error in schema.error_log],
    }


def roundtrip(wsdl_url, user, password, port_name):
    session = requests.Session()
    session.auth = requests.auth.HTTPBasicAuth(user, password)
    client = zeep.Client(wsdl_url, transport=zeep.Transport(session=session))
    service = client.bind("ServiceNow", port_name)
    steps = {}

    def call(step, operation, **kwargs):
        steps[step] = serialize_object(getattr(service, operation)(**kwargs))
        return steps[step]

    inserted = call(
        "insert",
        "insert",
        number="INC0001",
        short_description="Printer on fire",
        priority=1,
        active=True,
        opened_at="2024-05-01T10:00:00Z",
    )
    sys_id = inserted["sys_id"]
    call("get", "get", sys_id=sys_id)
    call("update", "update", sys_id=sys_id, priority=2, short_description="Printer smouldering")
    call("get_after_update", "get", sys_id=sys_id)
    call(
        "insertMultiple",
        "insertMultiple",
        record=[{"number": "INC0002", "priority": 3}, {"number": "INC0003", "priority": 3, "active": False}],
    )
    call("getRecords", "getRecords", priority=3, __order_by="number")
    call("getKeys", "getKeys", __encoded_query="priority=3")
    call("aggregate", "aggregate", COUNT="*", GROUP_BY="priority")
    call("deleteRecord", "deleteRecord", sys_id=sys_id)
    call("deleteMultiple", "deleteMultiple", priority=3)
    call("getKeys_after_delete", "getKeys", __encoded_query="numberININC0001,INC0002,INC0003")
    return {"binding": type(service._binding).__name__, "steps": steps}


def main(argv):
    command = argv[1]
    if command == "describe":
        result = describe(argv[2])
    elif command == "message":
        result = message(argv[2], argv[3], argv[4], argv[5])
    elif command == "roundtrip":
        result = roundtrip(argv[2], argv[3], argv[4], argv[5])
    else:
        raise SystemExit("unknown command %r" % command)
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv)
