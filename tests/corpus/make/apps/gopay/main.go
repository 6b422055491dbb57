// A payments service written with the Go standard library only, logging with the stdlib `log`
// package (no levels), as many small Go services do: one line per accepted charge, and on a
// failed call to the card processor the error as Go prints it (`charge 42: Post "...": dial tcp
// ...: connect: connection refused`); the client gets a 502, which nothing logs.
//
// PROCESSOR_URL: the card processor; AMEX_PROCESSOR_URL (optional): where amex cards go instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var client = &http.Client{Timeout: 2 * time.Second}

func processorFor(card string) string {
	if card == "amex" {
		if url := os.Getenv("AMEX_PROCESSOR_URL"); url != "" {
			return url
		}
	}
	return os.Getenv("PROCESSOR_URL")
}

func charge(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/charge/")
	card := r.URL.Query().Get("card")
	amount, _ := strconv.Atoi(r.URL.Query().Get("cents"))
	body := strings.NewReader(fmt.Sprintf(`{"id":%q,"cents":%d}`, id, amount))
	resp, err := client.Post(processorFor(card)+"/v1/charge", "application/json", body)
	if err != nil {
		log.Printf("charge %s: %v", id, err)
		http.Error(w, "payment processor unavailable", http.StatusBadGateway)
		return
	}
	resp.Body.Close()
	log.Printf("charge %s accepted: %d cents (%s)", id, amount, card)
	fmt.Fprintf(w, "{\"charge\":%q,\"status\":\"accepted\"}\n", id)
}

func main() {
	port := flag.Int("port", 8080, "listen port")
	flag.Parse()
	version := os.Getenv("APP_VERSION")
	mux := http.NewServeMux()
	mux.HandleFunc("/charge/", charge)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	server := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", *port), Handler: mux}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		log.Printf("shutting down")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		server.Shutdown(ctx)
	}()
	log.Printf("payments %s listening on %s", version, server.Addr)
	if err := server.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatalf("listen: %v", err)
	}
	log.Printf("stopped")
}
