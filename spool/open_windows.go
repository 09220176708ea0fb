package spool

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// openLockFile opens (creating it if missing) a lock file. Others may
// delete it while it is open, as on Unix, so that a queue folder whose
// instance lock is held can still be removed; see Spool.LockInstance.
// A reparse point of that name is opened as itself and refused by
// checkLock.
func openLockFile(path string) (*os.File, error) {
	f, err := createFile(path, windows.GENERIC_READ|windows.GENERIC_WRITE, windows.OPEN_ALWAYS,
		windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT)
	if err != nil {
		return nil, err
	}
	return checkLock(f)
}

func createFile(path string, access, disposition, flags uint32) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	share := uint32(windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE)
	h, err := windows.CreateFile(p, access, share, nil, disposition, flags, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// fileStandardInfo is FILE_STANDARD_INFO.
type fileStandardInfo struct {
	AllocationSize int64
	EndOfFile      int64
	NumberOfLinks  uint32
	DeletePending  byte
	Directory      byte
}

// deletePending tells whether the open file f has been deleted: under
// Windows' older semantics (and wine's) its name stays in the folder, with
// the deletion pending, until the last handle is closed.
func deletePending(f *os.File) bool {
	var info fileStandardInfo
	err := windows.GetFileInformationByHandleEx(windows.Handle(f.Fd()), windows.FileStandardInfo,
		(*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
	return err == nil && (info.DeletePending != 0 || info.NumberOfLinks == 0)
}

// giveToFolderOwner does nothing on Windows, where a new file takes the
// folder's ACL, so the service can open what an admin's command created.
func giveToFolderOwner(*os.File, string) error { return nil }

// GiveToFolderOwner does nothing on Windows; see giveToFolderOwner.
func GiveToFolderOwner(string) error { return nil }
