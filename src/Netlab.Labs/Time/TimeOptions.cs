using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Time;

public sealed record TimeServerOptions
{
    [Display(Name = "Clock offset (ms)")]
    [Range(-86_400_000, 86_400_000), Description("Run the server's clock this many ms ahead (negative: behind) of the real time.")]
    public double OffsetMs { get; init; }

    [Display(Name = "Clock drift (ppm)")]
    [Range(-100_000, 100_000), Description("Run the server's clock fast (positive) or slow by this many parts per million from its start.")]
    public double DriftPpm { get; init; }

    [Display(Name = "Idle timeout (ms)", GroupName = "Advanced")]
    [Range(100, 3_600_000), Description("A connection that sends nothing for this long is closed, in ms.")]
    public int IdleTimeoutMs { get; init; } = 60_000;

    [Display(Name = "Max connections", GroupName = "Advanced")]
    [Range(1, 10_000), Description("Clients served at once; one more is told ERR busy and closed.")]
    public int MaxConnections { get; init; } = 200;
}

public sealed record TimeSyncOptions
{
    [Range(1, 1_000), Description("How many times to send reqtime.")]
    public int Count { get; init; } = 10;

    [Range(0, 60_000), Description("Time between requests, in ms.")]
    public int IntervalMs { get; init; } = 100;

    [Range(1, 60_000), Description("How long to wait for each answer, in ms.")]
    public int TimeoutMs { get; init; } = 2_000;
}
