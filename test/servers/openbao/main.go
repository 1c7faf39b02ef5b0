// Command bao is the OpenBao server/CLI, built from the upstream Go module so
// that integration tests can run a real server (an open-source Vault fork with
// the same HTTP API). It is exactly upstream's main.go; build it with
// ./build.sh, which caches the binary outside the repository.
package main

import (
	"os"

	"github.com/openbao/openbao/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
