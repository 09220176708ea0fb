package installer

import (
	"sort"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// secretFiles are the files that hold a secret of cfg: the config file
// itself and every password_file and OAuth2 secret file, when any server
// has a password or an OAuth2 sign-in.
func secretFiles(cfg *config.Config) []string {
	has := false
	for _, s := range cfg.EveryServer() {
		has = has || s.Password != "" || s.Auth == config.AuthOAuth2
	}
	if !has {
		return nil
	}
	return append([]string{cfg.File}, passwordFiles(cfg)...)
}

// passwordFiles are the files outside the config that hold secrets of
// cfg's relays (config.Server.SecretFiles: password_file, the OAuth2
// client secret, key and refresh-token files), each once, as config.Load
// resolved them.
func passwordFiles(cfg *config.Config) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range cfg.EveryServer() {
		for _, p := range s.SecretFiles() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}
