package config

import (
	"os"
	"strings"
)

// Daemon holds every setting alpenhornd reads, validated, with defaults
// applied.
type Daemon struct {
	// Hostname is base.hostname, or the system host name up to its first
	// dot. It is compared with StorageNode.host and labels every metric.
	Hostname string
	// Database is the `database` section, handed whole to the connector.
	Database map[string]any
	// Extensions are the extension names to load, in order.
	Extensions []string

	// NumWorkers is daemon.num_workers (≥ 0; 0 = serial I/O).
	NumWorkers int
	// UpdateInterval is daemon.update_interval in seconds (≥ 0): the least
	// time between the starts of two main-loop passes.
	UpdateInterval int
	// AutoImportInterval is daemon.auto_import_interval in seconds (≥ 1).
	AutoImportInterval int
	// AutoVerifyMinDays is daemon.auto_verify_min_days (≥ 0).
	AutoVerifyMinDays int
	// SerialIOTimeout is daemon.serial_io_timeout in seconds (≥ 0).
	SerialIOTimeout int
	// PullTimeoutBase is daemon.pull_timeout_base in seconds.
	PullTimeoutBase float64
	// PullBytesPerSecond is daemon.pull_bytes_per_second; 0 disables
	// transfer time-outs.
	PullBytesPerSecond float64
	// SSHShareConnections is daemon.ssh_share_connections: whether remote
	// pulls from one host share one ssh connection.
	SSHShareConnections bool
	// WakeOnRequests is daemon.wake_on_requests: whether a daemon waiting
	// for its next pass starts it early for a new request for its host.
	WakeOnRequests bool
	// PromClientPort is daemon.prom_client_port (1…65535), or 0 when unset:
	// then no metrics exporter is started.
	PromClientPort int
	// PromClientAddress is daemon.prom_client_address, the address the
	// exporter binds to; loopback unless set, so metrics are not offered to
	// the whole network by default.
	PromClientAddress string

	Logging Logging
}

// Defaults of the daemon settings.
const (
	DefaultNumWorkers         = 0
	DefaultUpdateInterval     = 60
	DefaultAutoImportInterval = 30
	DefaultAutoVerifyMinDays  = 7
	DefaultSerialIOTimeout    = 900
	DefaultPullTimeoutBase    = 300.0
	DefaultPullBytesPerSecond = 20000000.0
	DefaultLogLevel           = "INFO"
	DefaultSyslogAddress      = "localhost"
	DefaultSyslogPort         = 514
	DefaultSyslogFacility     = "user"
	DefaultLogBackupCount     = 10
	DefaultLogMaxBytes        = "4M"
)

// Logging is the `logging` section.
type Logging struct {
	// Level is the root level: DEBUG, INFO, WARNING, ERROR or CRITICAL.
	Level string
	// ModuleLevels maps logger names (e.g. "alpenhorn.db", "peewee") to
	// levels, spelled like Level.
	ModuleLevels map[string]string
	// Syslog is nil unless syslog logging is configured and enabled.
	Syslog *Syslog
	// File is nil unless file logging is configured.
	File *LogFile
	// Stderr is logging.stderr: whether records also go to standard
	// error once the configured outputs are open. It defaults to true
	// without a log file and to false with one, where standard error
	// would only repeat the file (twice over in the journal under systemd).
	Stderr bool
}

// Syslog is the logging.syslog section.
type Syslog struct {
	// Address is a host name, or a Unix socket path when Port is 0.
	Address string
	Port    int
	// Facility is the facility name in lower case; FacilityCode its number.
	Facility     string
	FacilityCode int
	// UseTCP selects TCP instead of UDP (not used for Unix sockets).
	UseTCP bool
}

// LogFile is the logging.file section.
type LogFile struct {
	// Name is the log file path with `~` expanded.
	Name string
	// Watch reopens the file when something else rotates it away.
	Watch bool
	// Rotate makes the daemon rotate the file itself; BackupCount and
	// MaxBytes are only set then.
	Rotate      bool
	BackupCount int
	MaxBytes    int64
}

// SyslogFacilities maps facility names to their numbers.
var SyslogFacilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5,
	"lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"ntp": 12, "security": 13, "console": 14, "solaris-cron": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

var logLevels = map[string]bool{"DEBUG": true, "INFO": true, "WARNING": true, "ERROR": true, "CRITICAL": true}

// Daemon validates and returns every daemon setting. Logging settings are
// checked first, then the rest in the order the daemon first needs them.
func (c *Config) Daemon() (Daemon, error) {
	var d Daemon
	var err error
	// A section that is not a mapping would hide its keys from the
	// look-ups below, which would then quietly use their defaults.
	for _, sec := range Sections {
		if sec.Path != "extensions" {
			if _, err := c.mapping(sec.Path, nil); err != nil {
				return Daemon{}, err
			}
		}
	}
	if d.Logging, err = c.Logging(); err != nil {
		return Daemon{}, err
	}
	if d.Extensions, err = c.Extensions(); err != nil {
		return Daemon{}, err
	}
	if d.Database, err = c.Database(); err != nil {
		return Daemon{}, err
	}
	if d.Hostname, err = c.str("base.hostname", "", false); err != nil {
		return Daemon{}, err
	}
	if d.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return Daemon{}, &Error{Msg: "cannot determine host name (set base.hostname): " + err.Error()}
		}
		d.Hostname, _, _ = strings.Cut(h, ".")
	}

	ints := []struct {
		dst  *int
		path string
		def  int
		b    bounds
	}{
		{&d.NumWorkers, "daemon.num_workers", DefaultNumWorkers, atLeast(0)},
		{&d.PromClientPort, "daemon.prom_client_port", 0, between(1, 65535)},
		{&d.UpdateInterval, "daemon.update_interval", DefaultUpdateInterval, atLeast(0)},
		{&d.AutoImportInterval, "daemon.auto_import_interval", DefaultAutoImportInterval, atLeast(1)},
		{&d.AutoVerifyMinDays, "daemon.auto_verify_min_days", DefaultAutoVerifyMinDays, atLeast(0)},
		{&d.SerialIOTimeout, "daemon.serial_io_timeout", DefaultSerialIOTimeout, atLeast(0)},
	}
	for _, k := range ints {
		if *k.dst, err = c.integer(k.path, k.def, k.b); err != nil {
			return Daemon{}, err
		}
	}
	if d.PromClientAddress, err = c.str("daemon.prom_client_address", "127.0.0.1", false); err != nil {
		return Daemon{}, err
	}
	if d.PullTimeoutBase, err = c.float("daemon.pull_timeout_base", DefaultPullTimeoutBase); err != nil {
		return Daemon{}, err
	}
	if d.PullBytesPerSecond, err = c.float("daemon.pull_bytes_per_second", DefaultPullBytesPerSecond); err != nil {
		return Daemon{}, err
	}
	if d.SSHShareConnections, err = c.boolean("daemon.ssh_share_connections", true); err != nil {
		return Daemon{}, err
	}
	if d.WakeOnRequests, err = c.boolean("daemon.wake_on_requests", false); err != nil {
		return Daemon{}, err
	}
	return d, nil
}

// Logging validates and returns the `logging` section.
func (c *Config) Logging() (Logging, error) {
	var l Logging
	var err error
	if l.Level, err = c.logLevel("logging.level", nil); err != nil {
		return Logging{}, err
	}
	modules, err := c.mapping("logging.module_levels", map[string]any{})
	if err != nil {
		return Logging{}, err
	}
	l.ModuleLevels = make(map[string]string, len(modules))
	for _, name := range sortedKeys(modules) {
		v := modules[name]
		if l.ModuleLevels[name], err = c.logLevel("logging.module_levels."+name, &v); err != nil {
			return Logging{}, err
		}
	}

	section, err := c.mapping("logging.syslog", nil)
	if err != nil {
		return Logging{}, err
	}
	if len(section) > 0 {
		if l.Syslog, err = c.syslog(); err != nil {
			return Logging{}, err
		}
	}

	if section, err = c.mapping("logging.file", nil); err != nil {
		return Logging{}, err
	}
	if len(section) > 0 {
		if l.File, err = c.logFile(); err != nil {
			return Logging{}, err
		}
	}
	if l.Stderr, err = c.boolean("logging.stderr", l.File == nil); err != nil {
		return Logging{}, err
	}
	return l, nil
}

// logLevel reads a level name at path; v, when given, is the value already
// looked up (module names contain dots, so they cannot be looked up again).
func (c *Config) logLevel(path string, v *any) (string, error) {
	var s string
	var err error
	if v == nil {
		s, err = c.str(path, DefaultLogLevel, false)
	} else {
		s, err = c.strValue(path, *v)
	}
	if err != nil {
		return "", err
	}
	s = strings.ToUpper(s)
	if !logLevels[s] {
		return "", c.errorf(path, "Log level %s defined by %s is not valid", s, path)
	}
	return s, nil
}

func (c *Config) syslog() (*Syslog, error) {
	enable, err := c.boolean("logging.syslog.enable", true)
	if err != nil || !enable {
		return nil, err
	}
	var s Syslog
	if s.Address, err = c.str("logging.syslog.address", DefaultSyslogAddress, false); err != nil {
		return nil, err
	}
	if s.Port, err = c.integer("logging.syslog.port", DefaultSyslogPort, between(0, 65535)); err != nil {
		return nil, err
	}
	if s.UseTCP, err = c.boolean("logging.syslog.use_tcp", false); err != nil {
		return nil, err
	}
	fac, err := c.str("logging.syslog.facility", DefaultSyslogFacility, false)
	if err != nil {
		return nil, err
	}
	s.Facility = strings.ToLower(fac)
	code, ok := SyslogFacilities[s.Facility]
	if !ok {
		return nil, c.errorf("logging.syslog.facility", "unknown facility %s in logging.syslog.facility", s.Facility)
	}
	s.FacilityCode = code
	return &s, nil
}

func (c *Config) logFile() (*LogFile, error) {
	var f LogFile
	name, err := c.str("logging.file.name", "", true)
	if err != nil {
		return nil, err
	}
	f.Name = expandUser(name)
	if f.Watch, err = c.boolean("logging.file.watch", false); err != nil {
		return nil, err
	}
	if f.Rotate, err = c.boolean("logging.file.rotate", false); err != nil {
		return nil, err
	}
	if f.Rotate && f.Watch {
		return nil, c.errorf("logging.file", "logging.file.rotate and logging.file.watch both true in config")
	}
	if f.Rotate {
		if f.BackupCount, err = c.integer("logging.file.backup_count", DefaultLogBackupCount, atLeast(1)); err != nil {
			return nil, err
		}
		if f.MaxBytes, err = c.byteSize("logging.file.max_bytes", DefaultLogMaxBytes); err != nil {
			return nil, err
		}
	}
	return &f, nil
}
