using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.UdpPing;

/// <summary>The handout's server: loss (default 0.30), delay and jitter, a seed.</summary>
public sealed record UdpPingServerOptions : ImpairmentOptions;

public sealed record UdpPingProbeOptions
{
    [Range(1, 10_000), Description("Number of pings (sequence 1..count).")]
    public int Count { get; init; } = 10;

    [Range(1, 60_000), Description("How long to wait for each reply, in ms.")]
    public int TimeoutMs { get; init; } = 1000;

    [Range(0, 60_000), Description("Time between sends, in ms; 0 = next ping as soon as the previous one is answered or timed out.")]
    public int IntervalMs { get; init; }

    [Display(Name = "RTT in seconds")]
    [Description("Also show RTTs in seconds, as the handout's client prints them (time.time() differences), next to milliseconds.")]
    public bool RttInSeconds { get; init; }

    [Display(Name = "Stray replies allowed", GroupName = "Advanced")]
    [Range(0, 100_000), Description("Datagrams that answer no ping, or answer one again (duplicates), each reported; one more ends the run as Failed, so a flooding server cannot fill the run with events.")]
    public int MaxStrayReplies { get; init; } = 100;
}
