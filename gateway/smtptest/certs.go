package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// TLSCerts is a throw-away certificate authority and server certificates
// it signed.
type TLSCerts struct {
	CAPool *x509.CertPool // holds only the CA
	CAFile string         // the CA as PEM, in spooltest.TempDir(t)
	CAPEM  []byte         // the same PEM

	Server    tls.Certificate // for "localhost", 127.0.0.1, DovecotHost and ::1, valid now
	Expired   tls.Certificate // the same names, expired yesterday
	WrongName tls.Certificate // for "other.example" only, valid now
}

// NewTLSCerts makes a CA and its server certificates.
func NewTLSCerts(tb testing.TB) *TLSCerts {
	tb.Helper()
	now := time.Now()
	caKey := newKey(tb)
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(tb),
		Subject:               pkix.Name{CommonName: "smtptest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatalf("smtptest: CA: %v", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatalf("smtptest: CA: %v", err)
	}

	leaf := func(names []string, ips []net.IP, from, until time.Time) tls.Certificate {
		key := newKey(tb)
		tmpl := &x509.Certificate{
			SerialNumber: serial(tb),
			Subject:      pkix.Name{CommonName: names[0]},
			DNSNames:     names,
			IPAddresses:  ips,
			NotBefore:    from,
			NotAfter:     until,
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			tb.Fatalf("smtptest: certificate: %v", err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	local := []net.IP{net.IPv4(127, 0, 0, 1), net.ParseIP(DovecotHost), net.IPv6loopback}

	c := &TLSCerts{
		CAPool:    x509.NewCertPool(),
		CAFile:    filepath.Join(spooltest.TempDir(tb), "ca.pem"),
		Server:    leaf([]string{"localhost"}, local, now.Add(-time.Hour), now.Add(24*time.Hour)),
		Expired:   leaf([]string{"localhost"}, local, now.Add(-48*time.Hour), now.Add(-24*time.Hour)),
		WrongName: leaf([]string{"other.example"}, nil, now.Add(-time.Hour), now.Add(24*time.Hour)),
	}
	c.CAPool.AddCert(ca)
	c.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(c.CAFile, c.CAPEM, 0o600); err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	return c
}

// ServerPEM is the Server certificate and its key as PEM, for a server
// that reads them from files (Postfix, Dovecot).
func (c *TLSCerts) ServerPEM(tb testing.TB) (certPEM, keyPEM []byte) {
	tb.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.Server.PrivateKey)
	if err != nil {
		tb.Fatalf("smtptest: key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Server.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("smtptest: key: %v", err)
	}
	return key
}

func serial(tb testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		tb.Fatalf("smtptest: serial: %v", err)
	}
	return n
}
