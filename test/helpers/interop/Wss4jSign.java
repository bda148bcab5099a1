// Signs a SOAP envelope read on stdin with Apache WSS4J 1.6 (Debian libwss4j-java)
// and writes it to stdout: an independent signer for interop tests.
//
// usage: java Wss4jSign [--keystore F.p12 --alias A --storepass P
//                        --key-reference bst|issuer-serial|ski|thumbprint
//                        --signature-algorithm URI --digest-algorithm URI]
//                       [--timestamp SECONDS] [--username U --password P [--digest]]
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSEncryptionPart;
import org.apache.ws.security.components.crypto.Crypto;
import org.apache.ws.security.components.crypto.CryptoFactory;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSignature;
import org.apache.ws.security.message.WSSecTimestamp;
import org.apache.ws.security.message.WSSecUsernameToken;
import org.w3c.dom.Document;

public final class Wss4jSign {
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--digest")) options.put(flag, "true");
      else if (i + 1 < args.length) options.put(flag, args[++i]);
      else throw new IllegalArgumentException("missing value for " + flag);
    }

    org.apache.xml.security.Init.init();
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    Document doc = factory.newDocumentBuilder().parse(readAll(System.in));

    WSSecHeader header = new WSSecHeader();
    header.setMustUnderstand(true);
    header.insertSecurityHeader(doc);

    String soapNs = doc.getDocumentElement().getNamespaceURI();
    List<WSEncryptionPart> parts = new ArrayList<>();

    if (options.containsKey("--timestamp")) {
      WSSecTimestamp timestamp = new WSSecTimestamp();
      timestamp.setTimeToLive(Integer.parseInt(options.get("--timestamp")));
      timestamp.build(doc, header);
      parts.add(new WSEncryptionPart("Timestamp", WSConstants.WSU_NS, ""));
    }

    if (options.containsKey("--username")) {
      WSSecUsernameToken token = new WSSecUsernameToken();
      token.setPasswordType(options.containsKey("--digest") ? WSConstants.PASSWORD_DIGEST : WSConstants.PASSWORD_TEXT);
      token.setUserInfo(options.get("--username"), options.get("--password"));
      token.addNonce();
      token.addCreated();
      token.build(doc, header);
    }

    if (options.containsKey("--keystore")) {
      Properties properties = new Properties();
      properties.put("org.apache.ws.security.crypto.provider", "org.apache.ws.security.components.crypto.Merlin");
      properties.put("org.apache.ws.security.crypto.merlin.keystore.type", "pkcs12");
      properties.put("org.apache.ws.security.crypto.merlin.keystore.file", options.get("--keystore"));
      properties.put("org.apache.ws.security.crypto.merlin.keystore.password", options.get("--storepass"));
      Crypto crypto = CryptoFactory.getInstance(properties);

      WSSecSignature signature = new WSSecSignature();
      signature.setUserInfo(options.get("--alias"), options.get("--storepass"));
      signature.setKeyIdentifierType(keyIdentifierType(options.getOrDefault("--key-reference", "bst")));
      if (options.containsKey("--signature-algorithm")) signature.setSignatureAlgorithm(options.get("--signature-algorithm"));
      if (options.containsKey("--digest-algorithm")) signature.setDigestAlgo(options.get("--digest-algorithm"));
      signature.setSigCanonicalization(WSConstants.C14N_EXCL_OMIT_COMMENTS);
      parts.add(new WSEncryptionPart(WSConstants.ELEM_BODY, soapNs, ""));
      signature.setParts(parts);
      signature.build(doc, crypto, header);
    }

    Transformer transformer = TransformerFactory.newInstance().newTransformer();
    transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
    transformer.transform(new DOMSource(doc), new StreamResult(System.out));
    System.out.flush();
  }

  private static int keyIdentifierType(String style) {
    switch (style) {
      case "bst": return WSConstants.BST_DIRECT_REFERENCE;
      case "issuer-serial": return WSConstants.ISSUER_SERIAL;
      case "ski": return WSConstants.SKI_KEY_IDENTIFIER;
      case "thumbprint": return WSConstants.THUMBPRINT_IDENTIFIER;
      default: throw new IllegalArgumentException("unknown key reference " + style);
    }
  }

  private static org.xml.sax.InputSource readAll(InputStream in) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    in.transferTo(bytes);
    return new org.xml.sax.InputSource(new java.io.ByteArrayInputStream(bytes.toByteArray()));
  }
}
