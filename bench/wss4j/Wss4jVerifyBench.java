// Verification throughput of Apache WSS4J 1.6 (Debian libwss4j-java) on the
// bench's signed envelopes, parsing included, single-threaded: for each file,
// a warm-up (JIT), then ROUNDS rounds of SECONDS; prints one line per file:
//   <file> <best per second> <median per second> <iterations> <per CPU-second>
// where the last is the rounds' iterations per second of the JVM's process CPU
// time (every thread: JIT, GC), a figure that other processes on the machine
// change far less than the wall-clock rates.
// Each iteration parses the bytes (namespace-aware DOM) and runs
// WSSecurityEngine.processSecurityHeader with a Merlin crypto holding the
// signer's certificate; it must report a verified signature and a timestamp.
// Compiled and run by bench/wss4j/wss4j.ts into a temporary directory.
//
// With -Dwss4j.settle=TOLERANCE (e.g. 0.05) the warm-up goes on until two
// consecutive 1 s rounds agree within TOLERANCE: the first file after
// WARMUP_SECONDS (the JIT), each later file after 2 s, in both cases for at
// most WARMUP_SECONDS more; one line per file then says how it settled:
//   # settle <file> <warm-up seconds> agreed|not-agreed <last two rates>
//
// usage: java [-Dwss4j.settle=TOLERANCE] Wss4jVerifyBench KEYSTORE.p12 STOREPASS SECONDS ROUNDS WARMUP_SECONDS FILE...
//
// With -Dwss4j.interactive (bench/e2e.ts: WSS4J rounds interleaved with the
// gateway's) no FILE is given; commands are read from stdin, one per line,
// and each is answered by one line starting with "= ":
//   settle FILE MIN_SECONDS EXTRA_SECONDS TOLERANCE  ->  = settle FILE <seconds> agreed|not-agreed <last two rates>
//   round FILE SECONDS                               ->  = <iterations> <wall nanoseconds> <process CPU nanoseconds>
//   quit
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSSecurityEngine;
import org.apache.ws.security.WSSecurityEngineResult;
import org.apache.ws.security.components.crypto.Crypto;
import org.apache.ws.security.components.crypto.CryptoFactory;
import org.w3c.dom.Document;

public final class Wss4jVerifyBench {
  public static void main(String[] args) throws Exception {
    org.apache.xml.security.Init.init();
    Properties properties = new Properties();
    properties.put("org.apache.ws.security.crypto.provider", "org.apache.ws.security.components.crypto.Merlin");
    properties.put("org.apache.ws.security.crypto.merlin.keystore.type", "pkcs12");
    properties.put("org.apache.ws.security.crypto.merlin.keystore.file", args[0]);
    properties.put("org.apache.ws.security.crypto.merlin.keystore.password", args[1]);
    Crypto crypto = CryptoFactory.getInstance(properties);
    double seconds = Double.parseDouble(args[2]);
    int rounds = Integer.parseInt(args[3]);
    double warmupSeconds = Double.parseDouble(args[4]);

    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    DocumentBuilder builder = factory.newDocumentBuilder();
    WSSecurityEngine engine = new WSSecurityEngine();

    if (System.getProperty("wss4j.interactive") != null) {
      interactive(builder, engine, crypto);
      return;
    }
    String settle = System.getProperty("wss4j.settle");
    for (int f = 5; f < args.length; f++) {
      byte[] bytes = Files.readAllBytes(Paths.get(args[f]));
      if (settle == null) {
        runFor(builder, engine, crypto, bytes, warmupSeconds, 3);
      } else {
        System.out.println("# " + settle(builder, engine, crypto, bytes, args[f], f == 5 ? warmupSeconds : Math.min(2, warmupSeconds), warmupSeconds, Double.parseDouble(settle)));
      }
      List<Double> rates = new ArrayList<>();
      long iterations = 0;
      long cpuStart = processCpuNanos();
      for (int round = 0; round < rounds; round++) {
        long start = System.nanoTime();
        long count = runFor(builder, engine, crypto, bytes, seconds, 1);
        rates.add(count * 1e9 / (System.nanoTime() - start));
        iterations += count;
      }
      long cpuNanos = processCpuNanos() - cpuStart;
      Collections.sort(rates);
      System.out.println(args[f] + " " + rates.get(rates.size() - 1) + " " + rates.get(rates.size() / 2) + " " + iterations + " " + (cpuNanos > 0 ? iterations * 1e9 / cpuNanos : -1));
    }
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : -1;
  }

  /** Warm-up of at least `minimum` seconds, then 1 s rounds until two consecutive ones agree within `tolerance` (or `extra` seconds more). */
  private static void interactive(DocumentBuilder builder, WSSecurityEngine engine, Crypto crypto) throws Exception {
    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
    java.util.Map<String, byte[]> files = new java.util.HashMap<>();
    for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
      String[] command = line.trim().split(" ");
      byte[] bytes = files.get(command[1]);
      if (bytes == null) {
        bytes = Files.readAllBytes(Paths.get(command[1]));
        files.put(command[1], bytes);
      }
      if (command[0].equals("settle")) {
        System.out.println("= " + settle(builder, engine, crypto, bytes, command[1], Double.parseDouble(command[2]), Double.parseDouble(command[3]), Double.parseDouble(command[4])));
      } else if (command[0].equals("round")) {
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        long count = runFor(builder, engine, crypto, bytes, Double.parseDouble(command[2]), 1);
        System.out.println("= " + count + " " + (System.nanoTime() - start) + " " + (processCpuNanos() - cpuStart));
      } else {
        throw new IllegalArgumentException("unknown command: " + line);
      }
      System.out.flush();
    }
  }

  private static String settle(DocumentBuilder builder, WSSecurityEngine engine, Crypto crypto, byte[] bytes, String file, double minimum, double extra, double tolerance) throws Exception {
    long start = System.nanoTime();
    runFor(builder, engine, crypto, bytes, minimum, 3);
    long settleStart = System.nanoTime();
    double previous = -1;
    double last = -1;
    boolean agreed = false;
    while (!agreed && (System.nanoTime() - settleStart) / 1e9 < extra) {
      long roundStart = System.nanoTime();
      long count = runFor(builder, engine, crypto, bytes, 1, 1);
      previous = last;
      last = count * 1e9 / (System.nanoTime() - roundStart);
      agreed = previous > 0 && Math.abs(last - previous) <= tolerance * Math.max(last, previous);
    }
    return "settle " + file + " " + String.format("%.1f", (System.nanoTime() - start) / 1e9) + " " + (agreed ? "agreed" : "not-agreed") + " " + previous + " " + last;
  }

  private static long runFor(DocumentBuilder builder, WSSecurityEngine engine, Crypto crypto, byte[] bytes, double seconds, long minimum) throws Exception {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    long count = 0;
    while (count < minimum || System.nanoTime() < deadline) {
      Document doc = builder.parse(new java.io.ByteArrayInputStream(bytes));
      List<WSSecurityEngineResult> results = engine.processSecurityHeader(doc, null, null, crypto);
      boolean signed = false;
      boolean timestamped = false;
      for (WSSecurityEngineResult result : results) {
        int action = (Integer) result.get(WSSecurityEngineResult.TAG_ACTION);
        if (action == WSConstants.SIGN) signed = true;
        if (action == WSConstants.TS) timestamped = true;
      }
      if (!signed || !timestamped) throw new IllegalStateException("WSS4J did not verify a signature and a timestamp");
      count++;
    }
    return count;
  }
}
