// A checkout service written with the Go standard library only, used to make real Go logs.
//
// MODE: good | handlerpanic (v2 writes into a nil map in the checkout handler; net/http
// recovers and logs each panic with its stack) | fatal (v2 starts a background cart
// sweeper that panics in its own goroutine after a few seconds: the process dies).
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand"
	"net/http"
	"os"
	"strings"
	"time"
)

var mode = os.Getenv("MODE")

type cart struct {
	items map[string]int
}

func newCart(id string) *cart {
	c := &cart{}
	if mode != "handlerpanic" || !strings.HasSuffix(id, "7") {
		c.items = map[string]int{}
	}
	return c
}

func checkout(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := strings.TrimPrefix(r.URL.Path, "/checkout/")
	c := newCart(id)
	c.items["sku-"+id] = 1 + rand.Intn(3)
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "{\"cart\":%q,\"items\":%d}\n", id, len(c.items))
	log.Printf("method=%s path=%s status=%d dur=%s", r.Method, r.URL.Path, 200, time.Since(start))
}

func health(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	fmt.Fprintln(w, "ok")
}

func sweeper() {
	var expired []*cart
	time.Sleep(3 * time.Second)
	log.Printf("sweeping %d expired carts", 3)
	for i := 0; i < 3; i++ {
		fmt.Sprint(expired[i].items) // index out of range: the slice was never filled
	}
}

func main() {
	addr := flag.String("listen", "127.0.0.1:8080", "listen address")
	flag.Parse()
	rand.Seed(time.Now().UnixNano())
	http.HandleFunc("/checkout/", checkout)
	http.HandleFunc("/healthz", health)
	if mode == "fatal" {
		go sweeper()
	}
	log.Printf("checkout service listening on %s mode=%q", *addr, mode)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
