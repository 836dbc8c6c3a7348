using System.Globalization;
using System.Net;
using Netlab.Labs.Core;

namespace Netlab.Labs.Icmp;

/// <summary>
/// Traceroute with ICMP echo requests (the natural next step after the pinger): TTL 1, 2, 3, ...,
/// a few probes per hop; each router on the way answers "time to live exceeded" (its address is the
/// hop), the destination answers the echo. Stops there or at the hop limit.
/// </summary>
/// <param name="time">The clock of the timeouts and RTTs; null = the system's.</param>
public sealed class TracerouteProbe(TracerouteOptions options, TimeProvider? time = null) : IProbe
{
    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        using var socket = IcmpSocket.Open(target.Address, time);
        var clock = socket.Time;
        var limit = TimeSpan.FromMilliseconds(options.TimeoutMs);
        events.Emit(new LogLine(LogSeverity.Info, $"traceroute to {target.Host} ({target.Address}), {options.MaxHops} hops max, ICMP echo, using a {socket.Describe()}"));
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
                var sent = clock.GetTimestamp();
                await socket.SendEchoAsync(seq, new byte[32], cancellationToken);
                IcmpReceived? answer = null;
                while (answer is null && await socket.ReceiveOursAsync(sent, limit, cancellationToken) is { } received)
                    if (received.Answer.Sequence == seq && received.Answer.Message.ChecksumValid)
                        answer = received.Answer;
                addresses.Add(answer?.From.ToString());
                rtts.Add(answer is null ? null : clock.GetElapsedTime(sent).TotalMilliseconds);
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
