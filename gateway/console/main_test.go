package console

import (
	"os"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/console/accounts"
)

// The console's tests sign in many times: they check the console, not
// bcrypt's cost (accounts tests the hashes).
func TestMain(m *testing.M) {
	accounts.UseMinCostForTests()
	os.Exit(m.Run())
}
