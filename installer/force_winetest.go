//go:build winetest

package installer

// A build with the tag winetest takes itself for a service whenever it
// runs `spoolgate run`, as wine's service manager does not tell the
// program it started that it is a service (see ForceService). Only
// .ci/wine-service builds with it; never a release.
func init() { ForceService = true }
