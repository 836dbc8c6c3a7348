using Netlab.Labs.Core;
using Netlab.Labs.Dns;
using Netlab.Labs.Echo;
using Netlab.Labs.Ftp;
using Netlab.Labs.Heartbeat;
using Netlab.Labs.Http;
using Netlab.Labs.Icmp;
using Netlab.Labs.PortScan;
using Netlab.Labs.Smtp;
using Netlab.Labs.TcpConsole;
using Netlab.Labs.Time;
using Netlab.Labs.UdpPing;

namespace Netlab.Labs;

/// <summary>
/// Every lab the portal offers, in the order the portal lists them. A lab is its own folder
/// (wire format, server, probes, events, definition); adding one adds one line here.
/// </summary>
public static class LabCatalog
{
    public static IReadOnlyList<LabDefinition> All { get; } =
    [
        UdpPingLab.Definition,
        HeartbeatLab.Definition,
        HttpLab.Definition,
        DnsLab.Definition,
        SmtpLab.Definition,
        FtpLab.Definition,
        IcmpLab.Definition,
        TimeLab.Definition,
        EchoLab.Definition,
        PortScanLab.Definition,
        TcpConsoleLab.Definition,
    ];

    public static LabDefinition? Find(string? id) => All.FirstOrDefault(l => string.Equals(l.Id, id, StringComparison.OrdinalIgnoreCase));

    public static IEnumerable<ProbeKind> AllProbes => All.SelectMany(l => l.Probes);

    /// <summary>A probe kind and the lab it belongs to.</summary>
    public static (LabDefinition Lab, ProbeKind Probe)? FindProbe(string? id) => All
        .SelectMany(l => l.Probes.Select(p => (Lab: l, Probe: p)))
        .Where(x => string.Equals(x.Probe.Id, id, StringComparison.OrdinalIgnoreCase))
        .Select(x => ((LabDefinition, ProbeKind)?)x)
        .FirstOrDefault();

    /// <summary>Every event kind: the shared ones of Core, then each lab's own.</summary>
    public static IReadOnlyList<EventKind> AllEvents { get; } = [.. EventKind.Shared, .. All.SelectMany(l => l.Events)];
}
