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
"""

import json
import sys

import zeep
from lxml import etree

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


def main(argv):
    command = argv[1]
    if command == "describe":
        result = describe(argv[2])
    elif command == "message":
        result = message(argv[2], argv[3], argv[4], argv[5])
    else:
        raise SystemExit("unknown command %r" % command)
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv)
