using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.Heartbeat;

/// <summary>The heartbeat server: when a client counts as stopped, and the same loss and delay simulation as the UDP ping server (no loss by default).</summary>
public sealed record HeartbeatServerOptions : ImpairmentOptions
{
    public HeartbeatServerOptions() => LossRate = 0;

    [Display(Name = "Stopped after (ms)")]
    [Range(10, 600_000), Description("Silence after which a client is declared stopped, in ms (3 intervals of the default client).")]
    public int StoppedAfterMs { get; init; } = 3000;
}

public sealed record HeartbeatClientOptions
{
    [Range(10, 60_000), Description("Time between heartbeats, in ms.")]
    public int IntervalMs { get; init; } = 1000;

    [Range(0, 1_000_000), Description("Heartbeats to send; 0 = until the run is cancelled.")]
    public int Count { get; init; }
}
