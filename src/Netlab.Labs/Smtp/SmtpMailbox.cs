namespace Netlab.Labs.Smtp;

/// <summary>A message as the server accepted it: the envelope and the exact bytes after dot-unstuffing.</summary>
public sealed record StoredMail(
    string Id, DateTimeOffset ReceivedAt, string Session, string Client, string Helo, string From, IReadOnlyList<string> To,
    bool Tls, string? User, byte[] Raw)
{
    private MimeEntity? parsed;

    public long Size => Raw.LongLength;

    /// <summary>The message parsed as MIME (RFC 2045-2049), on first use.</summary>
    public MimeEntity Message => parsed ??= MimeEntity.Parse(Raw);
}

/// <summary>
/// The server's mailbox: every accepted message, newest last, bounded in count and in bytes so a
/// flood of mail cannot exhaust the portal's memory (the oldest messages go first).
/// </summary>
public sealed class SmtpMailbox(int maxMessages, long maxBytes = 512L * 1024 * 1024)
{
    private readonly Lock gate = new();
    private readonly LinkedList<StoredMail> messages = [];
    private long bytes;
    private long next;

    public event Action? Changed;

    public string NextId() => $"M{Interlocked.Increment(ref next):D6}";

    public void Add(StoredMail mail)
    {
        lock (gate)
        {
            messages.AddLast(mail);
            bytes += mail.Size;
            while (messages.Count > maxMessages || (bytes > maxBytes && messages.Count > 1))
            {
                bytes -= messages.First!.Value.Size;
                messages.RemoveFirst();
            }
        }
        Changed?.Invoke();
    }

    public IReadOnlyList<StoredMail> List()
    {
        lock (gate) return [.. messages];
    }

    public StoredMail? Find(string id)
    {
        lock (gate) return messages.FirstOrDefault(m => m.Id == id);
    }

    public bool Delete(string id)
    {
        bool removed;
        lock (gate)
        {
            var node = messages.First;
            while (node is not null && node.Value.Id != id)
                node = node.Next;
            removed = node is not null;
            if (node is not null)
            {
                bytes -= node.Value.Size;
                messages.Remove(node);
            }
        }
        if (removed) Changed?.Invoke();
        return removed;
    }

    public void Clear()
    {
        lock (gate)
        {
            messages.Clear();
            bytes = 0;
        }
        Changed?.Invoke();
    }
}
