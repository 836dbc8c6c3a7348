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
    private const int TcpBacklog = 256;

    private readonly DnsServerOptions options;
    private readonly ContentRoot root;
    private readonly TimeProvider time;
    private readonly UdpReceiveLoop udp;
    private readonly TcpSessionHost tcp;
    private DnsZone zone;

    public DnsServer(DnsServerOptions options, ServerContext context) : base("dns", context.EndPoint, context.Events)
    {
        this.options = options;
        time = context.Time;
        root = new ContentRoot(context.Environment.ContentRoot);
        var shared = root.TryResolve(options.Zone, out var path) == ContentRoot.Outcome.Found && File.Exists(path)
            ? path
            : throw new LabException($"The zone file \"{options.Zone}\" is not in the content root {root.RootPath}.");
        ZonePath = context.StorageDirectory is { } storage ? CopyZone(shared, storage) : shared;
        Editable = context.StorageDirectory is not null;
        zone = LoadZone();
        udp = new UdpReceiveLoop(Events, OnDatagram);
        // Over the limit a connection is closed at once: DNS has no "busy" reply worth a write.
        tcp = new TcpSessionHost(Events, ServeTcpAsync, () => options.MaxTcpConnections, refuse: null, time);
    }

    /// <summary>
    /// The zone file this server answers from: its own copy in its storage directory, so one
    /// student's edit never changes another server or the shared file in the content root;
    /// without a storage directory (unit tests), the shared file, read only.
    /// </summary>
    public string ZonePath { get; }

    /// <summary>True when the server has a copy of its own to edit (<see cref="SaveZone"/>).</summary>
    public bool Editable { get; }

    /// <summary>
    /// Copies the shared zone into the server's folder at start. A copy already there (the same
    /// server started again) is kept: it holds the edits made to this server.
    /// </summary>
    private static string CopyZone(string shared, string storage)
    {
        var copy = Path.Combine(storage, Path.GetFileName(shared));
        try
        {
            Directory.CreateDirectory(storage);
            if (!File.Exists(copy))
                File.Copy(shared, copy);
            return copy;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabException($"Cannot copy the zone file into {storage}: {e.Message}");
        }
    }

    /// <summary>The text of the zone file the server answers from.</summary>
    public string ZoneText()
    {
        try
        {
            return File.ReadAllText(ZonePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabException($"Cannot read the zone file {ZonePath}: {e.Message}");
        }
    }

    /// <summary>
    /// Replaces this server's zone with <paramref name="text"/> and answers from it at once. A
    /// mistake (DnsZoneException, with its line) leaves both the file and the running zone as they were.
    /// </summary>
    public DnsZone SaveZone(string text)
    {
        if (!Editable)
            throw new LabException("This server answers from the shared zone file, which is never edited; a server started by the portal has a copy of its own.");
        DnsZone.Parse(text);
        try
        {
            // Written whole under another name, then renamed: a reload never sees half a file.
            var temp = ZonePath + ".tmp";
            File.WriteAllText(temp, text);
            File.Move(temp, ZonePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabException($"Cannot write the zone file {ZonePath}: {e.Message}");
        }
        return ReloadZone();
    }

    /// <summary>TCP connections open now.</summary>
    public int TcpSessionCount => tcp.SessionCount;

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
            try
            {
                var local = udp.Bind(requested);
                tcp.Listen(new IPEndPoint(requested.Address, local.Port), TcpBacklog);
                Events.Emit(new LogLine(LogSeverity.Info, $"DNS server on {local} (UDP and TCP), authoritative for {string.Join(", ", Zone.Apexes)} ({Zone.Records.Count} records from {options.Zone})"));
                return local;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && requested.Port == 0 && attempt < 10)
            {
                CloseListener();
            }
            catch
            {
                CloseListener();
                throw;
            }
        }
    }

    protected override Task ServeAsync(CancellationToken stoppingToken) =>
        ServeAllAsync(udp.RunAsync($"dns udp {LocalEndPoint}", stoppingToken), tcp.AcceptAsync(stoppingToken));

    /// <summary>One query over UDP, one response (or none for a packet too broken to answer).</summary>
    private void OnDatagram(Span<byte> query, SocketAddress from, string client, CancellationToken stopping)
    {
        var outcome = DnsResponder.Respond(Zone, query, overUdp: true);
        Report(client, DnsTransport.Udp, query, outcome);
        if (outcome.Response is { } response)
            udp.TrySendTo(response, from, client, stopping);
    }

    /// <summary>Length-prefixed queries (RFC 1035 section 4.2.2) on one connection until the client closes or is too slow.</summary>
    private async Task ServeTcpAsync(Socket client, string name, CancellationToken stoppingToken)
    {
        using (client)
        {
            try
            {
                var prefix = new byte[2];
                while (true)
                {
                    // The client has the time limit for each whole query and for reading its answer.
                    using var deadline = Deadline.After(options.TcpTimeoutMs, stoppingToken, time);
                    if (!await client.ReceiveExactlyAsync(prefix, deadline.Token))
                        return;
                    var length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
                    // Only as much memory as the client has said it sends.
                    var buffer = new byte[length];
                    if (!await client.ReceiveExactlyAsync(buffer, deadline.Token))
                        return;
                    var outcome = DnsResponder.Respond(Zone, buffer, overUdp: false);
                    Report(name, DnsTransport.Tcp, buffer, outcome);
                    if (outcome.Response is not { } response)
                        return;
                    var framed = new byte[response.Length + 2];
                    BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)response.Length);
                    response.CopyTo(framed, 2);
                    await client.SendAsync(framed, SocketFlags.None, deadline.Token);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away, was too slow, or the server is stopping.
            }
        }
    }

    private void Report(string client, DnsTransport transport, ReadOnlySpan<byte> query, DnsResponder.Outcome outcome)
    {
        var question = outcome.Query?.Questions.FirstOrDefault();
        Events.Emit(new DnsQueryLogged(client, transport, DnsMessageReader.PeekId(query) ?? -1, question?.Name ?? "?",
            question is null ? "?" : DnsRecord.TypeName(question.Type), outcome.Code, outcome.Response?.Length ?? 0, outcome.Error));
        if (!options.HexDumps)
            return;
        Events.Emit(DnsHex.Describe($"query from {client}", query));
        if (outcome.Response is { } response)
            Events.Emit(DnsHex.Describe($"response to {client}", response));
    }

    protected override void CloseListener()
    {
        udp.Close();
        tcp.Close();
    }

    protected override Task OnStoppedAsync() => tcp.StopSessionsAsync(TimeSpan.Zero);
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
