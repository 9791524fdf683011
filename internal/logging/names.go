package logging

// Logger names, for Named and FromContext. They keep the dotted names
// alpenhorn has always used, so logging.module_levels entries such as
// `alpenhorn.db: info`, `alpenhorn.io: debug` or `peewee: info` keep
// working: a level set on a name applies to every name below it.
const (
	// LoggerAlpenhorn is the parent of every alpenhorn logger; the
	// "Logging to …" start-up messages use it.
	LoggerAlpenhorn = "alpenhorn"

	// The daemon: start-up and shutdown, the main update loop, the
	// filesystem watchers of auto-import.
	LoggerDaemonEntry      = "alpenhorn.daemon.entry"
	LoggerDaemonUpdate     = "alpenhorn.daemon.update"
	LoggerDaemonAutoImport = "alpenhorn.daemon.auto_import"

	// The task scheduler: worker pool and tasks.
	LoggerSchedulerPool = "alpenhorn.scheduler.pool"
	LoggerSchedulerTask = "alpenhorn.scheduler.task"

	// The I/O classes and their shared helpers; LoggerIODefaultTasks is
	// the Default I/O class's tasks (check, delete, pull, import …).
	LoggerIODefault      = "alpenhorn.io.default"
	LoggerIODefaultTasks = "alpenhorn.io._default_asyncs"
	LoggerIOUtil         = "alpenhorn.io.ioutil"
	LoggerIOLFS          = "alpenhorn.io.lfs"
	LoggerIOLustreHSM    = "alpenhorn.io.lustrehsm"
	LoggerIOLustreQuota  = "alpenhorn.io.lustrequota"
	LoggerIOTransport    = "alpenhorn.io.transport"

	// Shared code: config loading, extension registry, utilities.
	LoggerConfig     = "alpenhorn.common.config"
	LoggerExtensions = "alpenhorn.common.extensions"
	LoggerUtil       = "alpenhorn.common.util"

	// The CLI's commands.
	LoggerCLI = "alpenhorn.cli"

	// The data index (connection, models).
	LoggerDB = "alpenhorn.db"
	// LoggerSQL carries every SQL statement, at DEBUG.
	LoggerSQL = "peewee"
)
