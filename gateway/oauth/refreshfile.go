package oauth

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/safefile"
)

// maxRefreshTokenFile bounds the refresh-token file.
const maxRefreshTokenFile = 64 << 10

// ReadRefreshToken reads a refresh-token file: the token, on one line.
// It does not follow a symbolic link and reads at most 64 KB. Its errors
// wrap ErrRefreshTokenFile and never quote the file.
func ReadRefreshToken(path string) (string, error) {
	b, err := safefile.ReadFile(path, maxRefreshTokenFile)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrRefreshTokenFile, err)
	}
	rt := strings.TrimSpace(string(b))
	switch {
	case rt == "":
		return "", fmt.Errorf("%w %s is empty", ErrRefreshTokenFile, path)
	case strings.ContainsAny(rt, " \t\r\n"):
		return "", fmt.Errorf("%w %s holds more than one line or word", ErrRefreshTokenFile, path)
	}
	return rt, nil
}

// WriteRefreshToken writes token to path atomically, readable by its
// owner only (0600): a temporary file in the same folder is written,
// synced and renamed over path, and the folder synced. On any error path
// is left as it was. spoolgate oauth login writes the file with it, and a
// Source when the provider hands out a new refresh token.
func WriteRefreshToken(path, token string) error {
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return fmt.Errorf("%w: a refresh token is one word", ErrRefreshTokenFile)
	}
	dir, name := filepath.Split(path)
	if name == "" {
		return fmt.Errorf("%w: %q names a folder", ErrRefreshTokenFile, path)
	}
	if dir == "" {
		dir = "."
	}
	if err := spool.WriteFile(dir, name, []byte(token+"\n"), 0o600); err != nil {
		return fmt.Errorf("%w %s: %w", ErrRefreshTokenFile, path, err)
	}
	return nil
}
