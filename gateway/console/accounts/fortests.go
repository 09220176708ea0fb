package accounts

import "golang.org/x/crypto/bcrypt"

// UseMinCostForTests makes new password hashes (and the dummy hash an
// unknown user is checked against) use bcrypt's least cost, for the
// tests of other packages that sign in many times: at the real cost each
// sign-in takes about a second under the race detector. Never call it
// outside a test.
func UseMinCostForTests() { hashCost = bcrypt.MinCost }
