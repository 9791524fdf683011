package db

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func dsnConfig(t *testing.T, rest string) *mysql.Config {
	t.Helper()
	dsn, _, err := mysqlDSN(rest)
	if err != nil {
		t.Fatalf("mysqlDSN(%q): %v", rest, err)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("ParseDSN(%q): %v", dsn, err)
	}
	return cfg
}

func TestURLParamsPassedToDriver(t *testing.T) {
	cfg := dsnConfig(t, "u:p@db:3307/idx?connect_timeout=2.5&read_timeout=30&write_timeout=40&unix_socket=/run/mysqld/mysqld.sock")
	if cfg.Timeout != 2500*time.Millisecond || cfg.ReadTimeout != 30*time.Second || cfg.WriteTimeout != 40*time.Second {
		t.Errorf("timeouts %v %v %v", cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout)
	}
	if cfg.Net != "unix" || cfg.Addr != "/run/mysqld/mysqld.sock" {
		t.Errorf("socket: %s %s", cfg.Net, cfg.Addr)
	}
	if cfg.TLS != nil {
		t.Errorf("TLS on without ssl_ parameters")
	}
	// No parameter: the defaults.
	cfg = dsnConfig(t, "u@db/idx")
	if cfg.Timeout != 10*time.Second || cfg.ReadTimeout != time.Minute || cfg.WriteTimeout != time.Minute || cfg.TLS != nil || cfg.Addr != "db:3306" {
		t.Errorf("defaults: %v %v %v %v %s", cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout, cfg.TLS, cfg.Addr)
	}
}

func TestURLParamsRefusedByName(t *testing.T) {
	for query, want := range map[string]string{
		"tls=true":                      `"tls" is not supported`,
		"sslmode=require":               "ssl_ca=PATH",
		"charset=latin1":                "utf8mb4",
		"connect_timeout=soon":          "connect_timeout: a positive number",
		"ssl_verify_cert=maybe":         "true or false expected",
		"ssl_cert=/a.pem":               "ssl_cert and ssl_key go together",
		"ssl_ca=/nonexistent":           "ssl_ca",
		"read_timeout=1&read_timeout=2": "given twice",
	} {
		_, _, err := mysqlDSN("u:secret@db/idx?" + query)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", query, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error shows the password: %v", query, err)
		}
		if CheckURL("mysql://u:secret@db/idx?"+query) == nil {
			t.Errorf("CheckURL accepts %s", query)
		}
	}
	if err := CheckURL("postgres://db/idx"); err == nil {
		t.Errorf("CheckURL accepts an unknown scheme")
	}
	if err := CheckURL("sqlite:////tmp/x.db?_pragma=foreign_keys(1)"); err != nil {
		t.Errorf("CheckURL refuses an SQLite URL: %v", err)
	}
}

// writeCA writes a self-signed CA certificate and returns its path.
func writeCA(t *testing.T) (string, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return path, cert
}

func TestURLTLSSettings(t *testing.T) {
	ca, cert := writeCA(t)
	cfg := dsnConfig(t, "u@db.example.org:3306/idx?ssl_ca="+ca)
	if cfg.TLS == nil || cfg.TLS.InsecureSkipVerify || cfg.TLS.ServerName != "db.example.org" {
		t.Fatalf("ssl_ca: TLS %+v", cfg.TLS)
	}
	if !cfg.TLS.RootCAs.Equal(func() *x509.CertPool { p := x509.NewCertPool(); p.AddCert(cert); return p }()) {
		t.Errorf("ssl_ca: the CA is not the only root")
	}
	// The CA checked, the name not: the chain is verified by hand.
	cfg = dsnConfig(t, "u@db:3306/idx?ssl_ca="+ca+"&ssl_verify_identity=false")
	if cfg.TLS == nil || !cfg.TLS.InsecureSkipVerify || cfg.TLS.VerifyPeerCertificate == nil {
		t.Errorf("ssl_verify_identity=false: TLS %+v", cfg.TLS)
	} else if err := cfg.TLS.VerifyPeerCertificate([][]byte{cert.Raw}, nil); err != nil {
		t.Errorf("the CA's own certificate fails the chain check: %v", err)
	}
	// Encryption without any check.
	cfg = dsnConfig(t, "u@db/idx?ssl_verify_cert=false")
	if cfg.TLS == nil || !cfg.TLS.InsecureSkipVerify || cfg.TLS.VerifyPeerCertificate != nil {
		t.Errorf("ssl_verify_cert=false: TLS %+v", cfg.TLS)
	}
	cfg = dsnConfig(t, "u@db/idx?ssl_ca="+ca+"&ssl_disabled=true")
	if cfg.TLS != nil {
		t.Errorf("ssl_disabled=true: TLS on")
	}
}
