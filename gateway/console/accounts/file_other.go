//go:build !unix

package accounts

import (
	"io/fs"
	"os"
)

// narrow does nothing off Unix, where the data folder's ACL decides who
// reads the file.
func narrow(*os.File, fs.FileInfo) {}

// chownLike does nothing off Unix: the file inherits the folder's ACL.
func chownLike(*os.File, fs.FileInfo, string) error { return nil }

// syncDir does nothing off Unix: NTFS journals renames, and a folder
// cannot be opened for sync.
func syncDir(string) error { return nil }
