namespace Netlab.Web.Hosting;

/// <summary>The "Netlab" configuration section (appsettings.json, environment Netlab__...).</summary>
public sealed class NetlabOptions
{
    public const string Section = "Netlab";

    /// <summary>Folder of the SQLite database; relative paths are under the content root. Ignored by git.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// What the lab servers serve (web pages, FTP root, DNS zone): the repository's
    /// wwwroot-content/ by default; relative paths are under the content root.
    /// </summary>
    public string ContentRoot { get; set; } = "../../wwwroot-content";

    public ProbeSettings Probes { get; set; } = new();

    /// <summary>
    /// A StackExchange.Redis connection string (e.g. "redis:6379"): several portal instances then
    /// share SignalR groups, live feeds and commands through it. Unset: one process, no Redis.
    /// </summary>
    public string? Redis { get; set; }

    public InstanceSettings Instance { get; set; } = new();

    /// <summary>This portal process among several (see README, "Scale-out").</summary>
    public sealed class InstanceSettings
    {
        /// <summary>A readable name for this instance (default: the machine name); a random suffix makes each process's id unique.</summary>
        public string? Name { get; set; }

        /// <summary>The address shown for this instance (default: the first address it listens on).</summary>
        public string? Address { get; set; }

        /// <summary>Seconds an instance's lease lasts; it renews it three times as often. Past it, the others take it for dead.</summary>
        public int LeaseSeconds { get; set; } = 15;

        /// <summary>Seconds a command relayed to the instance that owns a run or a server may take before the caller gives up.</summary>
        public int CommandTimeoutSeconds { get; set; } = 10;
    }

    public ServerSettings Servers { get; set; } = new();

    public RunSettings Runs { get; set; } = new();

    public sealed class RunSettings
    {
        /// <summary>Days a finished run and its events are kept (0 = for ever); graded runs are always kept.</summary>
        public int RetainDays { get; set; } = 365;
    }

    public BootstrapSettings Bootstrap { get; set; } = new();

    public LimitSettings Limits { get; set; } = new();

    /// <summary>
    /// The first administrator, for automation (containers, CI): created at start when no account
    /// exists yet. Without it, the first browser visit asks for one (/setup).
    /// </summary>
    public sealed class BootstrapSettings
    {
        public string? AdminEmail { get; set; }
        public string AdminName { get; set; } = "Administrator";
        /// <summary>Without a password the administrator signs in with the key only.</summary>
        public string? AdminPassword { get; set; }
        /// <summary>A key the administrator can use at once (X-Api-Key); starts with "nlk_"; stored hashed.</summary>
        public string? AdminApiKey { get; set; }
    }

    /// <summary>What one user may have at once; past it the API answers 429 and the UI says which limit.</summary>
    public sealed class LimitSettings
    {
        /// <summary>Lab servers running at once per user (a class of 200 x 5 stays far below the port range).</summary>
        public int ServersPerUser { get; set; } = 5;
        /// <summary>Probe runs in progress at once per user.</summary>
        public int RunningProbesPerUser { get; set; } = 10;
        /// <summary>FTP consoles open at once per user.</summary>
        public int ConsolesPerUser { get; set; } = 3;

        /// <summary>Lab servers running at once in the whole portal (each holds sockets and a task; 200 students x 5 fit).</summary>
        public int Servers { get; set; } = 1000;

        /// <summary>Probe runs in progress at once in the whole portal.</summary>
        public int RunningProbes { get; set; } = 2000;

        /// <summary>Events one run may store; past it the run is stopped and Failed (a hostile peer cannot fill the disk).</summary>
        public int EventsPerRun { get; set; } = 200_000;

        /// <summary>
        /// What all lab servers together may keep in the data folder (received mail, FTP uploads), in MB,
        /// besides each server's own quota; past it SMTP answers 452 and FTP STOR 452.
        /// </summary>
        public int LabStorageMegabytes { get; set; } = 4096;
    }

    public sealed class ProbeSettings
    {
        /// <summary>
        /// Hosts probes may target: "loopback" (127.0.0.0/8 and ::1), an IP address, a CIDR block
        /// such as 10.0.0.0/8, or a host name. A name typed by a user is resolved only when it is
        /// listed here (or is localhost), so no DNS query leaves the machine for a refused name.
        /// </summary>
        public List<string> AllowedHosts { get; set; } = ["loopback"];
    }

    public sealed class ServerSettings
    {
        /// <summary>Address lab servers bind to. Loopback unless configured (e.g. 0.0.0.0 in a container).</summary>
        public string BindAddress { get; set; } = "127.0.0.1";

        /// <summary>
        /// Days a stopped server's record and events are kept (counted from when it stopped, or
        /// started if it never recorded a stop); older ones are deleted at start-up and daily.
        /// </summary>
        public int RetainDays { get; set; } = 30;

        /// <summary>
        /// Events stored per server at most: a busy server (a benchmark) would otherwise fill the
        /// disk. Past it the server keeps running and its live view goes on, but its events are
        /// only counted (as dropped) in its record.
        /// </summary>
        public long MaxStoredEventsPerServer { get; set; } = 200_000;
    }
}
