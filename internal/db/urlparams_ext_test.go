package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// URL parameters reach the connection: the test server has no TLS, so a
// URL asking for TLS must fail to connect, saying so, rather than connect
// in the clear; the same URL with TLS disabled, or with timeouts only,
// connects.
func TestURLParamsReachTheServer(t *testing.T) {
	base := testdb.MariaDB(t)
	for query, wantErr := range map[string]string{
		"ssl_verify_cert=false":                   "TLS",
		"ssl_verify_cert=false&ssl_disabled=true": "",
		"connect_timeout=5&read_timeout=30":       "",
	} {
		d, err := db.Open(base + "?" + query)
		if err != nil {
			t.Fatalf("%s: Open: %v", query, err)
		}
		_, err = d.ListTables(context.Background())
		d.Close()
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: %v", query, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: error %v, want one about %s", query, err, wantErr)
		}
	}
}
