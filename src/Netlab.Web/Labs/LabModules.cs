using Netlab.Labs;
using Netlab.Labs.Core;
using Netlab.Web.Labs.Dns;
using Netlab.Web.Labs.Echo;
using Netlab.Web.Labs.Ftp;
using Netlab.Web.Labs.Heartbeat;
using Netlab.Web.Labs.Http;
using Netlab.Web.Labs.Icmp;
using Netlab.Web.Labs.PortScan;
using Netlab.Web.Labs.Smtp;
using Netlab.Web.Labs.TcpConsole;
using Netlab.Web.Labs.Time;
using Netlab.Web.Labs.UdpPing;

namespace Netlab.Web.Labs;

/// <summary>
/// The web half of every lab, in the order the navigation lists them. A lab is its own folder
/// here and in Netlab.Labs; adding one adds one line here (and one in <see cref="LabCatalog"/>).
/// </summary>
public static class LabModules
{
    public static IReadOnlyList<ILabModule> All { get; } = Checked(
    [
        new UdpPingModule(),
        new HeartbeatModule(),
        new HttpModule(),
        new DnsModule(),
        new SmtpModule(),
        new FtpModule(),
        new IcmpModule(),
        new TimeModule(),
        new EchoModule(),
        new PortScanModule(),
        new TcpConsoleModule(),
    ]);

    public static ILabModule? Find(string? labId) => All.FirstOrDefault(m => string.Equals(m.Definition.Id, labId, StringComparison.OrdinalIgnoreCase));

    /// <summary>The view of a run of this probe: the lab's own, else the generic one.</summary>
    public static Type RunViewFor(string lab, string probe) =>
        Find(lab) is { } module && module.Definition.Probes.FirstOrDefault(p => p.Id == probe) is { } kind && module.RunView(kind) is { } view
            ? view
            : typeof(Components.Shared.RunEvents);

    /// <summary>A lab registered on one side only would have no page or no protocol: refuse at start-up.</summary>
    private static IReadOnlyList<ILabModule> Checked(IReadOnlyList<ILabModule> modules)
    {
        var web = modules.Select(m => m.Definition.Id).ToList();
        var protocol = LabCatalog.All.Select(l => l.Id).ToList();
        if (!web.Order().SequenceEqual(protocol.Order()))
            throw new InvalidOperationException($"Lab modules ({string.Join(", ", web)}) and the lab catalog ({string.Join(", ", protocol)}) differ.");
        return modules;
    }
}
