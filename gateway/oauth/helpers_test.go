package oauth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// microsoftSource is a Source for app at srv.
func microsoftSource(t *testing.T, srv *oauthtest.Server, app oauthtest.MicrosoftApp, now func() time.Time) *oauth.Source {
	t.Helper()
	src, err := oauth.New(oauth.Settings{
		Provider:     oauth.ProviderMicrosoft,
		Tenant:       app.Tenant,
		ClientID:     app.ClientID,
		ClientSecret: app.Secret,
		TokenURL:     app.TokenURL,
		Username:     app.Mailbox,
		HTTPClient:   srv.Client(),
		Now:          now,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return src
}

// tokenError gets a token from src and wants an *oauth.Error.
func tokenError(t *testing.T, src *oauth.Source) *oauth.Error {
	t.Helper()
	tok, err := src.Token(ctxT(t))
	var e *oauth.Error
	if !errors.As(err, &e) {
		t.Fatalf("Token = %v, %v; want an *oauth.Error", tok, err)
	}
	return e
}

// explainID is the cause CauseOf gives err, one package cause words.
func explainID(t *testing.T, err error) cause.Cause {
	t.Helper()
	c, ok := oauth.CauseOf(err)
	if !ok {
		t.Fatalf("CauseOf(%v) is not ok", err)
	}
	if m, a := cause.Explain("en", c); !c.Known() || m == "" || a == "" {
		t.Fatalf("CauseOf(%v) = %s: not a cause with words", err, c)
	}
	return c
}
