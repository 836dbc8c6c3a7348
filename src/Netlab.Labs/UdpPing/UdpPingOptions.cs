using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.UdpPing;

public sealed record UdpPingServerOptions
{
    [Range(0.0, 1.0), Description("Probability that a datagram is dropped (0..1).")]
    public double LossRate { get; init; } = 0.30;

    [Description("Exact: drop with exactly LossRate. Classic: the handout's randint(0, 10) < 4 rule (36.4%), LossRate ignored.")]
    public LossRule LossRule { get; init; } = LossRule.Exact;

    [Range(0.0, 10_000.0), Description("Delay added before each echo, in ms.")]
    public double DelayMs { get; init; }

    [Range(0.0, 10_000.0), Description("Uniform jitter around the delay, in ms (+/-).")]
    public double JitterMs { get; init; }

    [Description("Random seed for a repeatable loss pattern; empty for a new pattern each start.")]
    public int? Seed { get; init; }
}

public sealed record UdpPingProbeOptions
{
    [Range(1, 10_000), Description("Number of pings (sequence 1..count).")]
    public int Count { get; init; } = 10;

    [Range(1, 60_000), Description("How long to wait for each reply, in ms.")]
    public int TimeoutMs { get; init; } = 1000;

    [Range(0, 60_000), Description("Time between sends, in ms; 0 = next ping as soon as the previous one is answered or timed out.")]
    public int IntervalMs { get; init; }
}
