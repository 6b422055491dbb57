// A ledger service on the JDK's built-in HTTP server with java.util.logging, used to make
// real Java logs. args: port mode   (mode: good | npe: v2 looks up an account currency
// that is missing for some accounts and throws a NullPointerException, answered as 500).
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

public class Svc {
    private static final Logger LOG = Logger.getLogger("ledger.api");
    private static final Map<String, String> CURRENCY = new HashMap<>();
    private static String mode = "good";

    static String balance(String account) {
        String currency = CURRENCY.get(account);
        if (mode.equals("npe")) {
            return "{\"account\":\"" + account + "\",\"currency\":\"" + currency.toUpperCase() + "\"}";
        }
        return "{\"account\":\"" + account + "\",\"currency\":\"" + (currency == null ? "EUR" : currency) + "\"}";
    }

    static void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String account = path.substring(path.lastIndexOf('/') + 1);
        int status = 200;
        String body;
        try {
            body = balance(account);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "balance lookup failed for account " + account, e);
            status = 500;
            body = "{\"error\":\"internal\"}";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        LOG.info("GET " + path + " -> " + status);
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        mode = args.length > 1 ? args[1] : "good";
        for (int i = 0; i < 100; i += 2) {
            CURRENCY.put("acc" + i, i % 4 == 0 ? "eur" : "usd");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/balance/", Svc::handle);
        server.createContext("/healthz", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        LOG.info("ledger api started on port " + port + " mode=" + mode);
    }
}
