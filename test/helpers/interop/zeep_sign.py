"""Signs a SOAP envelope read on stdin with zeep's WS-Security plugins and
writes it to stdout: an independent signer for interop tests.

Run with /usr/bin/python3 (Debian's python3-zeep and python3-xmlsec).

  zeep_sign.py [--key KEY.pem --cert CERT.pem --key-reference bst|x509data
                --signature-method rsa-sha256|ecdsa-sha256|rsa-sha1|...
                --digest-method sha256|sha1|...]
               [--timestamp SECONDS] [--username U --password P [--digest]]

What zeep does (zeep/wsse/signature.py): BinarySignature puts the
certificate in a BinarySecurityToken referenced from the
SecurityTokenReference; Signature puts ds:X509Data (X509IssuerSerial and
X509Certificate, filled by xmlsec) inside the SecurityTokenReference. Both
sign the Body and, when present, the wsu:Timestamp, with exclusive c14n;
the defaults are rsa-sha1 and sha1, so the methods are passed explicitly.
zeep has no Timestamp plugin: the Timestamp is built here with zeep's WSU
element maker before signing. zeep never signs the UsernameToken and adds no
mustUnderstand.
"""

import argparse
import datetime
import sys

import xmlsec
from lxml import etree
from zeep.wsse.signature import BinarySignature, Signature
from zeep.wsse.username import UsernameToken
from zeep.wsse.utils import WSU, get_security_header

SIGNATURE_METHODS = {
    "rsa-sha1": xmlsec.Transform.RSA_SHA1,
    "rsa-sha256": xmlsec.Transform.RSA_SHA256,
    "rsa-sha384": xmlsec.Transform.RSA_SHA384,
    "rsa-sha512": xmlsec.Transform.RSA_SHA512,
    "ecdsa-sha256": xmlsec.Transform.ECDSA_SHA256,
    "ecdsa-sha384": xmlsec.Transform.ECDSA_SHA384,
    "ecdsa-sha512": xmlsec.Transform.ECDSA_SHA512,
}
DIGEST_METHODS = {
    "sha1": xmlsec.Transform.SHA1,
    "sha256": xmlsec.Transform.SHA256,
    "sha384": xmlsec.Transform.SHA384,
    "sha512": xmlsec.Transform.SHA512,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--key")
    parser.add_argument("--cert")
    parser.add_argument("--key-reference", choices=["bst", "x509data"], default="bst")
    parser.add_argument("--signature-method", choices=sorted(SIGNATURE_METHODS), default="rsa-sha256")
    parser.add_argument("--digest-method", choices=sorted(DIGEST_METHODS), default="sha256")
    parser.add_argument("--timestamp", type=int)
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--digest", action="store_true")
    args = parser.parse_args()

    envelope = etree.fromstring(sys.stdin.buffer.read())
    headers = {}

    if args.username is not None:
        token = UsernameToken(args.username, args.password, use_digest=args.digest)
        envelope, headers = token.apply(envelope, headers)

    if args.timestamp is not None:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        expires = now + datetime.timedelta(seconds=args.timestamp)
        get_security_header(envelope).append(
            WSU.Timestamp(
                WSU.Created(now.strftime("%Y-%m-%dT%H:%M:%SZ")),
                WSU.Expires(expires.strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
        )

    if args.key is not None:
        plugin_class = BinarySignature if args.key_reference == "bst" else Signature
        plugin = plugin_class(
            args.key,
            args.cert,
            signature_method=SIGNATURE_METHODS[args.signature_method],
            digest_method=DIGEST_METHODS[args.digest_method],
        )
        envelope, headers = plugin.apply(envelope, headers)

    sys.stdout.buffer.write(etree.tostring(envelope))


if __name__ == "__main__":
    main()
