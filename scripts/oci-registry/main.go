// Command oci-registry serves an in-memory OCI distribution registry (go-containerregistry's
// pkg/registry) for the oci end-to-end tests. It binds 127.0.0.1 only, prints "listening on ADDR"
// once ready, and serves TLS when given a certificate (Flux's OCIRepository is written without
// `insecure`).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: any free port)")
	certFile := flag.String("tls-cert", "", "PEM serving certificate; plain HTTP when empty")
	keyFile := flag.String("tls-key", "", "PEM private key of -tls-cert")
	flag.Parse()
	if (*certFile == "") != (*keyFile == "") {
		log.Fatal("oci-registry: -tls-cert and -tls-key go together")
	}
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatalf("oci-registry: listen: %v", err)
	}
	server := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(os.Stderr, "", log.LstdFlags))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	if *certFile != "" {
		err = server.ServeTLS(listener, *certFile, *keyFile)
	} else {
		err = server.Serve(listener)
	}
	log.Fatalf("oci-registry: serve: %v", err)
}
