using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Icmp;

public sealed record IcmpPingOptions
{
    [Range(1, 10_000), Description("Echo requests to send.")]
    public int Count { get; init; } = 10;

    [Range(200, 60_000), Description("Time between requests, in ms (at least 200, as ping allows users).")]
    public int IntervalMs { get; init; } = 1000;

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(1, 60_000), Description("How long to wait for each reply, in ms.")]
    public int TimeoutMs { get; init; } = 1000;

    [Display(Name = "Data size (bytes)", GroupName = "Advanced")]
    [Range(8, 1472), Description("Bytes of data after the ICMP header (the first 8 carry the send time); 56 makes ping's 64-byte packets.")]
    public int Size { get; init; } = 56;
}

public sealed record TracerouteOptions
{
    [Display(Name = "Max hops")]
    [Range(1, 64), Description("The largest TTL tried.")]
    public int MaxHops { get; init; } = 30;

    [Display(Name = "Probes per hop", GroupName = "Advanced")]
    [Range(1, 10), Description("Echo requests per hop.")]
    public int ProbesPerHop { get; init; } = 3;

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(1, 10_000), Description("How long to wait for each probe's answer, in ms.")]
    public int TimeoutMs { get; init; } = 1000;
}
