package com.example.billing;

// A small billing service on the JDK's HttpServer whose console log uses the Spring Boot
// default layout: date time level pid --- [thread] logger : message, stack traces below.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

public class Billing {
    static final long PID = ProcessHandle.current().pid();
    static final String MODE = System.getenv().getOrDefault("APP_MODE", "good");
    static final String VERSION = System.getenv().getOrDefault("APP_VERSION", "2.7.1");
    static final List<byte[]> RENDER_CACHE = new ArrayList<>();

    // LOG_LAYOUT=boot3: Spring Boot 3.2+'s default console layout, ISO-8601 time with its zone
    // (`2024-11-21T10:09:43.374Z  INFO 127587 --- [myapp] [           main] ...`; "Z" in UTC, as in
    // a container), the application name in brackets; otherwise Spring Boot 2's
    static final boolean BOOT3 = "boot3".equals(System.getenv("LOG_LAYOUT"));

    static class BootFormatter extends Formatter {
        private final SimpleDateFormat fmt = BOOT3
                ? new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
                : new SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS");

        private static String level(Level l) {
            if (l == Level.SEVERE) return "ERROR";
            if (l == Level.WARNING) return " WARN";
            if (l == Level.INFO) return " INFO";
            return "DEBUG";
        }

        private static String abbreviate(String name) {
            String[] parts = name.split("\\.");
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < parts.length - 1; i++) b.append(parts[i].charAt(0)).append('.');
            b.append(parts[parts.length - 1]);
            return b.toString();
        }

        @Override
        public synchronized String format(LogRecord r) {
            String thread = Thread.currentThread().getName();
            if (thread.length() > 15) thread = thread.substring(thread.length() - 15);
            String line = String.format(BOOT3 ? "%s %s %d --- [billing] [%15s] %-40s : %s%n"
                    : "%s %s %d --- [%15s] %-40s : %s%n", fmt.format(new Date(r.getMillis())),
                    level(r.getLevel()), PID, thread, abbreviate(r.getLoggerName()), formatMessage(r));
            if (r.getThrown() != null) {
                StringWriter sw = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(sw));
                line += sw;
            }
            return line;
        }
    }

    static Logger logger(String name) {
        Logger log = Logger.getLogger(name);
        log.setUseParentHandlers(false);
        Handler h = new ConsoleHandler() {
            { setOutputStream(System.out); }
        };
        h.setFormatter(new BootFormatter());
        log.addHandler(h);
        return log;
    }

    static final Logger MAIN = logger("com.example.billing.BillingApplication");
    static final Logger WEB = logger("com.example.billing.web.InvoiceController");
    static final Logger REPO = logger("com.example.billing.repo.InvoiceRepository");
    static final Logger MEM = logger("com.example.billing.ops.MemoryWatcher");
    static final Logger TOMCAT = logger("org.apache.catalina.core.StandardService");
    static final Logger OTEL = logger("io.opentelemetry.exporter.internal.http.HttpExporter");
    // OpenTelemetry tracing with one span export per request (a simple span processor): the span
    // goes to the collector at OTEL_EXPORTER_OTLP_ENDPOINT off the request thread
    static final String TRACES = System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    static final java.util.concurrent.ExecutorService EXPORTER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "BatchSpanProcessor_WorkerThread-1");
        t.setDaemon(true);
        return t;
    });

    static void exportSpan(String name) {
        if (TRACES == null) return;
        EXPORTER.submit(() -> {
            try {
                HttpURLConnection c = (HttpURLConnection) new URL(TRACES + "/v1/traces").openConnection();
                c.setConnectTimeout(1000);
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/x-protobuf");
                try (OutputStream os = c.getOutputStream()) { os.write(name.getBytes(StandardCharsets.UTF_8)); }
                c.getResponseCode();
            } catch (IOException e) {
                OTEL.severe("Failed to export spans. The request could not be executed. Full error message: " + e.getMessage());
            }
        });
    }

    static class PoolExhaustedException extends RuntimeException {
        PoolExhaustedException(String m, Throwable cause) { super(m, cause); }
    }

    static String loadInvoice(int id) {
        if (MODE.equals("pool") && id % 5 < 2) {
            TimeoutException cause = new TimeoutException("Connection is not available, request timed out after 250ms.");
            throw new PoolExhaustedException("Could not open JDBC Connection for transaction", cause);
        }
        if (MODE.equals("leak")) {
            RENDER_CACHE.add(new byte[256 * 1024]); // rendered PDFs kept forever: the leak
        }
        return "{\"id\":" + id + ",\"total\":" + (id * 7 % 500) + ".00}";
    }

    static void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        int status = 200;
        String body;
        long start = System.nanoTime();
        try {
            if (path.startsWith("/api/invoices/")) {
                int id = Integer.parseInt(path.substring("/api/invoices/".length()));
                body = loadInvoice(id);
            } else if (path.equals("/actuator/health")) {
                body = "{\"status\":\"UP\"}";
            } else {
                status = 404;
                body = "{\"error\":\"Not Found\"}";
            }
        } catch (RuntimeException e) {
            status = 500;
            body = "{\"error\":\"Internal Server Error\"}";
            WEB.log(Level.SEVERE, "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception [Request processing failed; nested exception is " + e.getClass().getName() + ": " + e.getMessage() + "] with root cause", e);
        }
        byte[] out = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
        if (!path.equals("/actuator/health")) {
            WEB.info(String.format("%s %s -> %d in %d ms", ex.getRequestMethod(), path, status, (System.nanoTime() - start) / 1_000_000));
            exportSpan(ex.getRequestMethod() + " " + path);
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        MAIN.info("Starting BillingApplication v" + VERSION + " using Java " + System.getProperty("java.version") + " with PID " + PID);
        MAIN.info("No active profile set, falling back to 1 default profile: \"default\"");
        if (System.getenv().containsKey("FEATURE_PDF_V2")) {
            MAIN.info("Feature flag invoice-pdf-v2 is enabled for 100% of tenants");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/", Billing::handle);
        server.setExecutor(Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r);
            t.setName("http-nio-8080-exec-" + t.getId() % 100);
            return t;
        }));
        TOMCAT.info("Starting service [Tomcat]");
        server.start();
        MAIN.info("Tomcat started on port(s): 8080 (http) with context path ''");
        MAIN.info("Started BillingApplication in 1.042 seconds (JVM running for 1.377)");
        if (MODE.equals("leak")) {
            MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
            Thread w = new Thread(() -> {
                while (true) {
                    long used = mx.getHeapMemoryUsage().getUsed();
                    // compare with the container's memory limit (as read from the cgroup), not -Xmx
                    long max = Long.parseLong(System.getenv().getOrDefault("MEMORY_LIMIT_MB", "256")) * 1048576;
                    int pct = (int) (100 * used / max);
                    if (pct >= 60) {
                        MEM.warning("Heap usage " + pct + "% (" + used / 1048576 + "MB of the " + max / 1048576 + "MB limit), render cache holds " + RENDER_CACHE.size() + " documents");
                    }
                    try { Thread.sleep(250); } catch (InterruptedException e) { return; }
                }
            }, "memory-watcher");
            w.setDaemon(true);
            w.start();
        }
        // JUL resets its handlers in its own shutdown hook, so the hook writes through the formatter itself
        BootFormatter shutdownFormat = new BootFormatter();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LogRecord begin = new LogRecord(Level.INFO, "Commencing graceful shutdown. Waiting for active requests to complete");
            begin.setLoggerName("org.springframework.boot.web.embedded.tomcat.GracefulShutdown");
            System.out.print(shutdownFormat.format(begin));
            server.stop(0);
            LogRecord done = new LogRecord(Level.INFO, "Graceful shutdown complete");
            done.setLoggerName("org.springframework.boot.web.embedded.tomcat.GracefulShutdown");
            System.out.print(shutdownFormat.format(done));
            System.out.flush();
        }, "SpringApplicationShutdownHook"));
    }
}
