using System.Diagnostics;
using System.Globalization;
using System.Net;
using Netlab.Labs.Core;

namespace Netlab.Labs.Icmp;

/// <summary>
/// Traceroute with ICMP echo requests (the natural next step after the pinger): TTL 1, 2, 3, ...,
/// a few probes per hop; each router on the way answers "time to live exceeded" (its address is the
/// hop), the destination answers the echo. Stops there or at the hop limit.
/// </summary>
public sealed class TracerouteProbe(TracerouteOptions options) : IProbe
{
    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        using var socket = IcmpSocket.Open(target.Address);
        var identifier = (ushort)(Environment.ProcessId ^ Random.Shared.Next(0x10000));
        var to = new IPEndPoint(target.Address, 0);
        events.Emit(new LogLine(LogSeverity.Info, $"traceroute to {target.Host} ({target.Address}), {options.MaxHops} hops max, ICMP echo, using a {socket.Describe()}"));
        var buffer = new byte[65_536];
        ushort sequence = 0;
        var reached = false;
        var hop = 0;
        while (!reached && hop < options.MaxHops)
        {
            hop++;
            socket.Ttl = hop;
            var addresses = new List<string?>();
            var rtts = new List<double?>();
            for (var probe = 0; probe < options.ProbesPerHop; probe++)
            {
                var seq = ++sequence;
                var sent = Stopwatch.GetTimestamp();
                await socket.Socket.SendToAsync(IcmpMessage.EchoRequestBytes(identifier, seq, new byte[32]), System.Net.Sockets.SocketFlags.None, to, cancellationToken);
                var deadline = sent + (long)(options.TimeoutMs / 1000.0 * Stopwatch.Frequency);
                IcmpReceived? answer = null;
                while (answer is null)
                {
                    var received = await socket.ReceiveAsync(buffer, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline), cancellationToken);
                    if (received is not { } r)
                        break;
                    var parsed = IcmpReceived.Parse(r.Packet, socket.Mode == IcmpSocketMode.Raw, r.From);
                    if (parsed is not null && parsed.Sequence == seq && (socket.KernelOwnsIdentifier || parsed.Identifier == identifier) && parsed.Message.ChecksumValid)
                        answer = parsed;
                }
                addresses.Add(answer?.From.ToString());
                rtts.Add(answer is null ? null : Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                if (answer is { IsError: false })
                    reached = true;
            }
            var line = string.Create(CultureInfo.InvariantCulture, $"{hop,2}  ");
            string? last = null;
            for (var i = 0; i < rtts.Count; i++)
            {
                if (addresses[i] is { } a && a != last)
                {
                    line += $"{a}  ";
                    last = a;
                }
                line += rtts[i] is { } ms ? $"{IcmpPingProbe.FormatRtt(ms)} ms  " : "*  ";
            }
            events.Emit(new TracerouteHop(hop, addresses, rtts, reached));
            events.Emit(new LogLine(LogSeverity.Info, line.TrimEnd()));
        }
        events.Emit(new Summary(
            [reached ? $"{target.Address} reached in {hop} hop{(hop == 1 ? "" : "s")}" : $"{target.Address} not reached within {options.MaxHops} hops"],
            new Dictionary<string, double?> { ["hops"] = hop, ["reached"] = reached ? 1 : 0 }));
    }
}
