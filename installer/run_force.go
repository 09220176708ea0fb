package installer

// ForceService makes Run take the service path even when kardianos/service
// says the process runs interactively. It exists for tests: under wine, a
// service started by the service manager is not recognised as one. A
// build-tagged file may set it in an init function; nothing else may.
var ForceService = false
