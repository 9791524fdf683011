package db

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// urlParams are the query parameters a mysql:// data index URL may carry,
// spelled as PyMySQL spells its connect() arguments, so that one config
// file serves Python and Go hosts alike. Any other parameter is refused by
// name: dropping it would, e.g., connect without TLS to a server the URL
// asked to reach over TLS.
var urlParams = map[string]func(p *mysqlParams, v string) error{
	"unix_socket":         func(p *mysqlParams, v string) error { p.socket = v; return nil },
	"connect_timeout":     func(p *mysqlParams, v string) error { return seconds(&p.connectTimeout, v) },
	"read_timeout":        func(p *mysqlParams, v string) error { return seconds(&p.readTimeout, v) },
	"write_timeout":       func(p *mysqlParams, v string) error { return seconds(&p.writeTimeout, v) },
	"ssl_ca":              func(p *mysqlParams, v string) error { p.ca = v; return nil },
	"ssl_cert":            func(p *mysqlParams, v string) error { p.cert = v; return nil },
	"ssl_key":             func(p *mysqlParams, v string) error { p.key = v; return nil },
	"ssl_verify_cert":     func(p *mysqlParams, v string) error { return flag(&p.verifyCert, v) },
	"ssl_verify_identity": func(p *mysqlParams, v string) error { return flag(&p.verifyIdentity, v) },
	"ssl_disabled":        func(p *mysqlParams, v string) error { return flag(&p.disabled, v) },
}

// hints answer parameters people carry over from other connectors.
var hints = map[string]string{
	"tls":     "for TLS give ssl_ca=PATH (or ssl_verify_cert=false to encrypt without checking)",
	"ssl":     "for TLS give ssl_ca=PATH (or ssl_verify_cert=false to encrypt without checking)",
	"sslmode": "for TLS give ssl_ca=PATH (or ssl_verify_cert=false to encrypt without checking)",
	"timeout": "use connect_timeout",
	"charset": "the connection always uses utf8mb4",
}

type mysqlParams struct {
	socket                                    string
	connectTimeout, readTimeout, writeTimeout *time.Duration
	ca, cert, key                             string
	verifyCert, verifyIdentity, disabled      *bool
}

func seconds(dst **time.Duration, v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) {
		return fmt.Errorf("a positive number of seconds expected, not %q", v)
	}
	d := time.Duration(f * float64(time.Second))
	*dst = &d
	return nil
}

func flag(dst **bool, v string) error {
	var b bool
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		b = true
	case "0", "false", "no", "off":
	default:
		return fmt.Errorf("true or false expected, not %q", v)
	}
	*dst = &b
	return nil
}

// applyURLParams sets the connection options named in the URL's query.
func applyURLParams(cfg *mysql.Config, query string) error {
	q, err := url.ParseQuery(query)
	if err != nil {
		return fmt.Errorf("database URL: bad parameters: %v", err)
	}
	var p mysqlParams
	for _, name := range sortedNames(q) {
		set, ok := urlParams[name]
		if !ok {
			msg := fmt.Sprintf("database URL parameter %q is not supported (supported: %s)", name, strings.Join(sortedNames(urlParams), ", "))
			if h := hints[strings.ToLower(name)]; h != "" {
				msg += "; " + h
			}
			return fmt.Errorf("%s", msg)
		}
		vals := q[name]
		if len(vals) > 1 {
			return fmt.Errorf("database URL parameter %q given twice", name)
		}
		if err := set(&p, vals[0]); err != nil {
			return fmt.Errorf("database URL parameter %s: %v", name, err)
		}
	}
	if p.socket != "" {
		cfg.Net, cfg.Addr = "unix", p.socket
	}
	for _, t := range []struct {
		src *time.Duration
		dst *time.Duration
	}{{p.connectTimeout, &cfg.Timeout}, {p.readTimeout, &cfg.ReadTimeout}, {p.writeTimeout, &cfg.WriteTimeout}} {
		if t.src != nil {
			*t.dst = *t.src
		}
	}
	t, err := p.tlsConfig(cfg.Addr)
	if err != nil || t == nil {
		return err
	}
	// The DSN is text, so the TLS settings travel in the driver's registry
	// under a name that is the same for the same URL.
	sum := sha256.Sum256([]byte(cfg.Addr + "?" + query))
	cfg.TLSConfig = "alpenhorn-" + hex.EncodeToString(sum[:8])
	return mysql.RegisterTLSConfig(cfg.TLSConfig, t)
}

// tlsConfig follows PyMySQL: any ssl_* parameter turns TLS on; with a CA
// the server's certificate and its host name are checked unless told
// otherwise, without one neither is.
func (p *mysqlParams) tlsConfig(addr string) (*tls.Config, error) {
	if p.disabled != nil && *p.disabled {
		return nil, nil
	}
	if p.ca == "" && p.cert == "" && p.key == "" && p.verifyCert == nil && p.verifyIdentity == nil {
		return nil, nil
	}
	verifyCert := p.ca != ""
	if p.verifyCert != nil {
		verifyCert = *p.verifyCert
	}
	verifyIdentity := verifyCert
	if p.verifyIdentity != nil {
		verifyIdentity = *p.verifyIdentity && verifyCert
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	c := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if p.ca != "" {
		pem, err := os.ReadFile(p.ca)
		if err != nil {
			return nil, fmt.Errorf("database URL parameter ssl_ca: %v", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("database URL parameter ssl_ca: no PEM certificate in %s", p.ca)
		}
	}
	if (p.cert == "") != (p.key == "") {
		return nil, fmt.Errorf("database URL parameters ssl_cert and ssl_key go together")
	}
	if p.cert != "" {
		pair, err := tls.LoadX509KeyPair(p.cert, p.key)
		if err != nil {
			return nil, fmt.Errorf("database URL parameters ssl_cert, ssl_key: %v", err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	if !verifyIdentity {
		c.InsecureSkipVerify = true
		if verifyCert {
			c.VerifyPeerCertificate = verifyChain(c.RootCAs)
		}
	}
	return c, nil
}

// verifyChain checks the server's certificate chain against roots (the
// system's when nil) but not the name in it.
func verifyChain(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return fmt.Errorf("database server sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return err
			}
			certs[i] = c
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := certs[0].Verify(opts)
		return err
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckURL reports what would stop Open from using rawURL, without
// connecting: a malformed URL, an unsupported parameter, an unreadable
// certificate.
func CheckURL(rawURL string) error {
	if rawURL == "" {
		return ErrNoDatabase
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return ErrConnectFailed
	}
	switch strings.ToLower(scheme) {
	case "mysql", "mysql+pool":
		_, _, err := mysqlDSN(rest)
		return err
	case "sqlite", "sqliteext":
		return nil
	}
	return fmt.Errorf("database URL: unsupported scheme %q (mysql:// or sqlite://)", scheme)
}
