using Microsoft.Extensions.Options;
using Netlab.Web.Hosting;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// This portal process among several sharing one database: its id (a readable name and a random
/// suffix, new for each process, so a restarted instance never takes a dead one's runs for its
/// own), its address, and whether other processes can share its records at all.
/// </summary>
public sealed class PortalInstance
{
    public PortalInstance(IOptions<NetlabOptions> options, IConfiguration configuration)
    {
        var settings = options.Value;
        var name = new string([.. (settings.Instance.Name ?? Environment.MachineName).Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').Take(40)]);
        Id = $"{(name.Length > 0 ? name : "netlab")}-{Guid.NewGuid().ToString("N")[..8]}";
        Address = settings.Instance.Address ?? "";
        Lease = TimeSpan.FromSeconds(settings.Instance.LeaseSeconds);
        CommandTimeout = TimeSpan.FromSeconds(settings.Instance.CommandTimeoutSeconds);
        Redis = string.IsNullOrWhiteSpace(settings.Redis) ? null : settings.Redis;
        // SQLite is one file in one data folder, locked by one process. A server database is shared
        // by several instances only with Redis (without it their live views could not meet): without
        // Redis, one portal per database, and what it finds running at start is a dead process's.
        var provider = configuration["Netlab:Database:Provider"];
        SharesDatabase = Redis is not null && !string.IsNullOrEmpty(provider) && !provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase);
    }

    public string Id { get; }

    /// <summary>Where it listens (Netlab:Instance:Address, else its first listening address once it listens).</summary>
    public string Address { get; set; }

    public TimeSpan Lease { get; }

    public TimeSpan CommandTimeout { get; }

    /// <summary>The Redis connection string; null for a single process.</summary>
    public string? Redis { get; }

    /// <summary>Whether other live instances may use the same database (a server database and Redis): then "Running" records may be a live neighbour's.</summary>
    public bool SharesDatabase { get; }
}
