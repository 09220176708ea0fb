package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/oauth"
)

func init() {
	register("oauth", command{usage: "login [--config FILE] [--smtp NAME]",
		summary: "sign the mailbox in (Microsoft: a device code; Google: a browser) and write oauth_refresh_token_file",
		run:     cmdOAuth, order: 34})
}

func cmdOAuth(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "login" {
		return &exitError{2, errors.New("oauth: the only subcommand is login: spoolgate oauth login [--config FILE] [--smtp NAME]")}
	}
	var name string
	path, err := flags("oauth login", args[1:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "smtp", "", "the server to sign in for: NAME of [smtp.NAME] (default: [smtp])")
	})
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	srv, section := cfg.SMTP, "[smtp]"
	if name != "" && name != "smtp" {
		srv, section = cfg.Servers[name], "[smtp."+name+"]"
	}
	if srv == nil {
		if name == "" {
			return &exitError{2, fmt.Errorf("oauth login: %s has no [smtp] server (capture mode); name one with --smtp NAME", cfg.File)}
		}
		var names []string
		for n := range cfg.Servers {
			names = append(names, n)
		}
		slices.Sort(names)
		return &exitError{2, fmt.Errorf("oauth login: %s has no %s; its servers: %s", cfg.File, section, strings.Join(names, ", "))}
	}
	o := srv.OAuth
	if srv.Auth != config.AuthOAuth2 || o.RefreshTokenFile == "" {
		return &exitError{2, fmt.Errorf("oauth login: %s in %s does not sign in with a refresh token; "+
			"set auth = oauth2, oauth_provider and oauth_refresh_token_file = oauth-refresh-token there first", section, cfg.File)}
	}
	l := &oauth.Login{
		Provider: o.Provider, Tenant: o.Tenant, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		TokenURL: o.TokenURL, Scope: o.Scope, Out: stdout,
	}
	if l.Provider != oauth.ProviderGoogle {
		if _, err := oauth.DeviceCodeURL(l.Provider, l.Tenant, l.TokenURL); err != nil {
			return &exitError{2, fmt.Errorf("oauth login: %s: %s signs in by the device-code flow, and no device-code endpoint can be derived from oauth_token_url %q "+
				"(it is the token URL with /devicecode in place of its final /token); write the refresh token to %s another way",
				section, l.Provider, l.TokenURL, o.RefreshTokenFile)}
		}
	}
	fmt.Fprintf(stdout, "Signing in %s (%s, %s) for %s.\n", srv.Username, o.Provider, section, cfg.File)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rt, err := l.Run(ctx)
	if err != nil {
		return err
	}
	if err := oauth.WriteRefreshToken(o.RefreshTokenFile, rt); err != nil {
		return fmt.Errorf("oauth login: signed in, but the refresh token could not be saved to %s: %w", o.RefreshTokenFile, err)
	}
	fmt.Fprintf(stdout, "Signed in. The refresh token is saved in %s (readable by its owner only).\n"+
		"If the service runs as another account, it must be able to read and replace that file.\n"+
		"Check the sign-in with: spoolgate check --config %s\n", o.RefreshTokenFile, cfg.File)
	return nil
}
