package installer

import (
	"github.com/kardianos/service"
)

// Service names, as the service manager shows them.
const (
	ServiceName        = "spoolgate"
	ServiceDisplayName = "Spoolgate mail gateway"
	ServiceDescription = "Relays the message files a library system drops in a queue folder to the mail relay."
)

// Options are what `spoolgate install` was told beyond the config.
type Options struct {
	User string // Linux: the unprivileged account the service runs as (default "spoolgate")
	// Writer is the account the ILS runs as, which must write the queue
	// folder: on Linux it joins the service's group, on Windows it is
	// granted Modify on the queue folder. "" changes no account.
	Writer string
}

// ServiceConfig describes the spoolgate service that runs
// `spoolgate run --config configPath` (an absolute path). The same
// description is used to install, control and run the service.
//
// On Windows the service starts automatically; the exe sets its recovery
// actions itself (see recoveryActions). On Linux, Install adds the systemd
// unit that Unit renders.
func ServiceConfig(configPath string, o Options) *service.Config {
	return &service.Config{
		Name:        ServiceName,
		DisplayName: ServiceDisplayName,
		Description: ServiceDescription,
		Arguments:   []string{"run", "--config", configPath},
		Option: service.KeyValue{
			"StartType": "automatic",
		},
	}
}
