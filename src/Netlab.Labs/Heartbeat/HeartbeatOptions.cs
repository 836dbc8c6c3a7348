using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.Heartbeat;

public sealed record HeartbeatServerOptions
{
    [Range(10, 600_000), Description("Silence after which a client is declared stopped, in ms (3 intervals of the default client).")]
    public int StoppedAfterMs { get; init; } = 3000;

    [Range(0.0, 1.0), Description("Probability that a heartbeat is dropped (0..1).")]
    public double LossRate { get; init; }

    [Description("Exact: drop with exactly LossRate. Classic: the handout's randint(0, 10) < 4 rule (36.4%).")]
    public LossRule LossRule { get; init; } = LossRule.Exact;

    [Range(0.0, 10_000.0), Description("Delay added before a heartbeat is processed, in ms.")]
    public double DelayMs { get; init; }

    [Range(0.0, 10_000.0), Description("Uniform jitter around the delay, in ms (+/-); reorders heartbeats.")]
    public double JitterMs { get; init; }

    [Description("Random seed for a repeatable loss pattern.")]
    public int? Seed { get; init; }
}

public sealed record HeartbeatClientOptions
{
    [Range(10, 60_000), Description("Time between heartbeats, in ms.")]
    public int IntervalMs { get; init; } = 1000;

    [Range(0, 1_000_000), Description("Heartbeats to send; 0 = until the run is cancelled.")]
    public int Count { get; init; }
}
