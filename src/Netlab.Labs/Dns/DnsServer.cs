using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.Dns;

/// <summary>
/// The lab's authoritative DNS server: UDP and, on the same port, TCP with the two-byte length
/// prefix (RFC 1035 section 4.2.2). Answers come from <see cref="DnsResponder"/>; the zone can be
/// reloaded while it runs. A bad packet or a bad TCP client never stops it.
/// </summary>
public sealed class DnsServer : LabServer, IReloadable
{
    private const int MaxTcpMessage = ushort.MaxValue;

    private readonly DnsServerOptions options;
    private readonly ContentRoot root;
    private readonly Lock gate = new();
    private readonly HashSet<Task> tcpSessions = [];
    private DnsZone zone;
    private Socket? udp;
    private Socket? tcp;

    public DnsServer(DnsServerOptions options, ServerContext context) : base("dns", context.EndPoint, context.Events)
    {
        this.options = options;
        root = new ContentRoot(context.Environment.ContentRoot);
        ZonePath = root.TryResolve(options.Zone, out var path) == ContentRoot.Outcome.Found && File.Exists(path)
            ? path
            : throw new LabException($"The zone file \"{options.Zone}\" is not in the content root {root.RootPath}.");
        zone = LoadZone();
    }

    public string ZonePath { get; }

    public DnsZone Zone => Volatile.Read(ref zone);

    /// <summary>Reads the zone file again; the old zone stays in use when the new one has a mistake.</summary>
    public DnsZone ReloadZone()
    {
        var fresh = LoadZone();
        Volatile.Write(ref zone, fresh);
        Events.Emit(new LogLine(LogSeverity.Info, $"Zone reloaded: {fresh.Records.Count} records for {string.Join(", ", fresh.Apexes)}"));
        return fresh;
    }

    private DnsZone LoadZone()
    {
        try
        {
            return DnsZone.Load(ZonePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabException($"Cannot read the zone file {ZonePath}: {e.Message}");
        }
    }

    public string Reload()
    {
        var fresh = ReloadZone();
        return $"{fresh.Records.Count} records for {string.Join(", ", fresh.Apexes)}";
    }

    protected override IPEndPoint Bind(IPEndPoint requested)
    {
        // Port 0: the UDP port is picked first and TCP must get the same number, which another
        // program may hold; a few fresh tries make that rare collision invisible.
        for (var attempt = 0; ; attempt++)
        {
            var u = new Socket(requested.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            var t = new Socket(requested.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                u.Bind(requested);
                var port = ((IPEndPoint)u.LocalEndPoint!).Port;
                t.Bind(new IPEndPoint(requested.Address, port));
                t.Listen(256);
                (udp, tcp) = (u, t);
                Events.Emit(new LogLine(LogSeverity.Info, $"DNS server on {u.LocalEndPoint} (UDP and TCP), authoritative for {string.Join(", ", Zone.Apexes)} ({Zone.Records.Count} records from {options.Zone})"));
                return (IPEndPoint)u.LocalEndPoint!;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && requested.Port == 0 && attempt < 10)
            {
                u.Dispose();
                t.Dispose();
            }
            catch
            {
                u.Dispose();
                t.Dispose();
                throw;
            }
        }
    }

    protected override Task ServeAsync(CancellationToken stoppingToken) =>
        ServeAllAsync(ServeUdpAsync(stoppingToken), AcceptTcpAsync(stoppingToken));

    private Task ServeUdpAsync(CancellationToken stoppingToken) =>
        RunOnThread($"dns udp {LocalEndPoint}", () => ServeUdp(stoppingToken));

    private void ServeUdp(CancellationToken stoppingToken)
    {
        var buffer = new byte[MaxTcpMessage];
        var from = new SocketAddress(udp!.AddressFamily);
        var names = new SocketAddressText();
        while (!stoppingToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = udp.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (!stoppingToken.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            var query = buffer.AsSpan(0, length);
            var client = names.Of(from);
            var outcome = DnsResponder.Respond(Zone, query, overUdp: true);
            Report(client, "UDP", query, outcome);
            if (outcome.Response is { } response)
            {
                try
                {
                    udp.SendTo(response, SocketFlags.None, from);
                }
                catch (SocketException e) when (!stoppingToken.IsCancellationRequested)
                {
                    Events.Emit(new LogLine(LogSeverity.Warning, $"send to {client}: {e.Message}"));
                }
            }
        }
    }

    private async Task AcceptTcpAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await tcp!.AcceptAsync(stoppingToken);
            }
            catch (SocketException e) when (!stoppingToken.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.TooManyOpenSockets)
            {
                Events.Emit(new LogLine(LogSeverity.Warning, $"accept: {e.Message}"));
                await Task.Delay(10, stoppingToken);
                continue;
            }
            lock (gate)
            {
                if (tcpSessions.Count >= options.MaxTcpConnections)
                {
                    // Over the limit: close at once rather than hold a socket a client is flooding with.
                    client.Dispose();
                    continue;
                }
                var task = ServeTcpAsync(client, stoppingToken);
                tcpSessions.Add(task);
                _ = task.ContinueWith(t => { lock (gate) tcpSessions.Remove(t); }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Length-prefixed queries on one connection until the client closes or is too slow.</summary>
    private async Task ServeTcpAsync(Socket client, CancellationToken stoppingToken)
    {
        var name = client.RemoteEndPoint?.ToString() ?? "?";
        using (client)
        {
            try
            {
                var prefix = new byte[2];
                while (true)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(options.TcpTimeoutMs);
                    if (!await client.ReceiveExactlyAsync(prefix, timeout.Token))
                        return;
                    var length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
                    // Only as much memory as the client has said it sends.
                    var buffer = new byte[length];
                    if (!await client.ReceiveExactlyAsync(buffer, timeout.Token))
                        return;
                    var outcome = DnsResponder.Respond(Zone, buffer, overUdp: false);
                    Report(name, "TCP", buffer, outcome);
                    if (outcome.Response is not { } response)
                        return;
                    var framed = new byte[response.Length + 2];
                    BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)response.Length);
                    response.CopyTo(framed, 2);
                    await client.SendAsync(framed, SocketFlags.None, timeout.Token);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away, was too slow, or the server is stopping.
            }
        }
    }


    private void Report(string client, string transport, ReadOnlySpan<byte> query, DnsResponder.Outcome outcome)
    {
        var question = outcome.Query?.Questions.FirstOrDefault();
        Events.Emit(new DnsQueryLogged(client, transport, DnsMessageReader.PeekId(query) ?? -1, question?.Name ?? "?",
            question is null ? "?" : DnsRecord.TypeName(question.Type), outcome.Code.ToString().ToUpperInvariant(), outcome.Response?.Length ?? 0, outcome.Error));
        if (!options.HexDumps)
            return;
        Events.Emit(DnsHex.Describe($"query from {client}", query));
        if (outcome.Response is { } response)
            Events.Emit(DnsHex.Describe($"response to {client}", response));
    }

    protected override void CloseListener()
    {
        udp?.Dispose();
        tcp?.Dispose();
    }

    protected override async Task OnStoppedAsync()
    {
        Task[] running;
        lock (gate) running = [.. tcpSessions];
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}

/// <summary>A DNS message as a labelled hex dump event.</summary>
public static class DnsHex
{
    public static HexMessage Describe(string label, ReadOnlySpan<byte> bytes)
    {
        var fields = new List<HexField>();
        if (!DnsMessageReader.TryRead(bytes, out _, out var error, fields))
            fields.Add(new HexField("MALFORMED", fields.Count == 0 ? 0 : fields[^1].Offset + fields[^1].Length,
                Math.Max(0, bytes.Length - (fields.Count == 0 ? 0 : fields[^1].Offset + fields[^1].Length)), error!, "error"));
        return new HexMessage(label, bytes.ToArray(), fields);
    }
}
