"""The libxmlsec1 peer of the bench: python3-xmlsec (xmlsec1 / libxml2) with lxml.

Usage: /usr/bin/python3 xmlsec_verify_bench.py CERT_PEM SECONDS ROUNDS WARMUP_SECONDS FILE...
Each iteration parses the envelope bytes with lxml, registers the wsu:Id
attributes as ids, and verifies the ds:Signature with the certificate's key
(both references' digests and the SignatureValue). Only the signature is
checked: no timestamp window, no replay, no policy. Prints one line per
file: "FILE BEST MEDIAN ITERATIONS" (per second).
"""
import sys
import time

import xmlsec
from lxml import etree

def verify_once(data, key, parser):
    root = etree.fromstring(data, parser)
    # wsu:Id is not an ID to libxml2 without a schema: declare "Id" attributes as ids (xmlsec1's --id-attr).
    xmlsec.tree.add_ids(root, ["Id"])
    signature = xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature)
    context = xmlsec.SignatureContext()
    context.key = key
    context.verify(signature)


def run_for(data, key, parser, seconds, minimum):
    start = time.perf_counter()
    deadline = start + seconds
    count = 0
    now = start
    while count < minimum or now < deadline:
        verify_once(data, key, parser)
        count += 1
        now = time.perf_counter()
    return count, now - start


def main():
    cert, seconds, rounds, warmup = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    key = xmlsec.Key.from_file(cert, xmlsec.constants.KeyDataFormatCertPem)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    for path in sys.argv[5:]:
        with open(path, "rb") as handle:
            data = handle.read()
        run_for(data, key, parser, warmup, 3)
        rates = []
        iterations = 0
        for _ in range(rounds):
            count, elapsed = run_for(data, key, parser, seconds, 1)
            rates.append(count / elapsed)
            iterations += count
        rates.sort()
        print(path, rates[-1], rates[len(rates) // 2], iterations, flush=True)


main()
