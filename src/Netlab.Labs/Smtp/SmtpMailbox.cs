using Netlab.Labs.Core;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Netlab.Labs.Smtp;

/// <summary>
/// A message as the server accepted it: its envelope (RFC 5321 section 2.3.1: what the dialogue
/// said, apart from the content) and the size of its bytes after dot-unstuffing. The bytes
/// themselves are read from the mailbox on demand (<see cref="SmtpMailbox.Read"/>).
/// </summary>
public sealed record StoredMail(
    string Id, DateTimeOffset ReceivedAt, string Session, string Client, string Helo, string From, IReadOnlyList<string> To,
    bool Tls, string? User, long Size);

/// <summary>What the mailbox did with a message offered to it.</summary>
public enum MailboxOutcome
{
    Stored,
    /// <summary>The mailbox holds its quota of messages or bytes now; emptying it makes room.</summary>
    Full,
    /// <summary>The message alone is larger than the whole byte quota: it can never fit.</summary>
    TooBig,
    /// <summary>The portal's storage for all lab servers together is full (<see cref="StorageBudget"/>).</summary>
    PortalFull,
}

/// <summary>How much a mailbox may hold.</summary>
public sealed record MailboxQuota(int Messages, long Bytes)
{
    /// <summary>For a mailbox opened only to read, delete and empty: it never accepts anything.</summary>
    public static MailboxQuota None { get; } = new(0, 0);
}

/// <summary>
/// An SMTP server's mailbox. With a directory, each message is <c>&lt;id&gt;.eml</c> (the exact
/// bytes) plus <c>&lt;id&gt;.json</c> (its envelope), both made durable before the server answers
/// 250: RFC 5321 sections 4.5.3.2 and 6.1 make the server responsible for a message from that
/// reply on, so a kill or a crash after it must not lose the message. The .json is written last
/// and is what makes a message exist: an .eml without it was never acknowledged and is removed
/// when the server opens the directory again. Without a directory (unit tests, benchmarks) the
/// messages live in memory. Bounded: past the quota new mail is refused, accepted mail is never
/// evicted to make room.
/// </summary>
public sealed partial class SmtpMailbox
{
    private const string MessageExtension = ".eml";
    private const string EnvelopeExtension = ".json";
    private const string TempExtension = ".tmp";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string? directory;
    private readonly MailboxQuota quota;
    private readonly StorageBudget? shared;
    private readonly Lock gate = new();
    private readonly Dictionary<string, StoredMail> index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> memory = new(StringComparer.Ordinal);
    private long bytes;
    private int pendingMessages;
    private long pendingBytes;

    private SmtpMailbox(string? directory, MailboxQuota quota, StorageBudget? shared = null)
    {
        this.directory = directory;
        this.quota = quota;
        this.shared = shared;
    }

    /// <summary>Raised after a message is stored, deleted, or the mailbox emptied.</summary>
    public event Action? Changed;

    /// <summary>The directory the messages are in; null for a mailbox in memory.</summary>
    public string? Directory => directory;

    public MailboxQuota Quota => quota;

    /// <summary>A mailbox kept in memory only (no storage directory): lost when the server goes.</summary>
    public static SmtpMailbox InMemory(MailboxQuota quota) => new(null, quota);

    /// <summary>
    /// The mailbox a server writes to: creates the directory, lists what an earlier run left there
    /// and removes what it never acknowledged (temporary files, .eml files without an envelope).
    /// </summary>
    public static SmtpMailbox OpenForServer(string directory, MailboxQuota quota, StorageBudget? shared = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var mailbox = new SmtpMailbox(directory, quota, shared);
        mailbox.Load(repair: true);
        return mailbox;
    }

    /// <summary>
    /// A server's mailbox read without the server (stopped, or the portal restarted): list, read,
    /// delete and empty; it accepts nothing. A directory that does not exist is an empty mailbox.
    /// </summary>
    public static SmtpMailbox OpenDirectory(string directory)
    {
        var mailbox = new SmtpMailbox(directory, MailboxQuota.None);
        if (System.IO.Directory.Exists(directory))
            mailbox.Load(repair: false);
        return mailbox;
    }

    /// <summary>Ids are Version 7 GUIDs: unique across restarts and servers, and sorted by time.</summary>
    public static string NewId() => Guid.CreateVersion7().ToString("N");

    /// <summary>True for a string that can be a message id (checked before it is ever part of a path).</summary>
    public static bool IsId(string id) => IdPattern().IsMatch(id);

    /// <summary>
    /// True when no message of any size can be taken now; MAIL checks it so a client learns
    /// before it sends its data (RFC 5321 section 4.3.2 allows 452 as a reply to MAIL).
    /// </summary>
    public bool IsFull
    {
        get
        {
            lock (gate)
                if (index.Count + pendingMessages >= quota.Messages || bytes + pendingBytes >= quota.Bytes)
                    return true;
            return shared?.Room() <= 0;
        }
    }

    public int Count
    {
        get { lock (gate) return index.Count; }
    }

    public long Bytes
    {
        get { lock (gate) return bytes; }
    }

    /// <summary>
    /// Stores a message within the quota; with a directory, returns only once both files are on
    /// disk (written under a temporary name, fsync'ed, renamed, directory fsync'ed).
    /// I/O errors (disk full) propagate: the caller must then not answer 250.
    /// </summary>
    public MailboxOutcome Store(StoredMail mail, ReadOnlySpan<byte> raw)
    {
        if (!IsId(mail.Id) || mail.Size != raw.Length)
            throw new ArgumentException("The mail's id must come from NewId and its size be that of its bytes.", nameof(mail));
        lock (gate)
        {
            if (raw.Length > quota.Bytes)
                return MailboxOutcome.TooBig;
            if (index.Count + pendingMessages >= quota.Messages || bytes + pendingBytes + raw.Length > quota.Bytes)
                return MailboxOutcome.Full;
            if (shared is not null && shared.Room() < raw.Length)
                return MailboxOutcome.PortalFull;
            // Reserved while the files are written outside the lock, so concurrent sessions cannot overshoot the quota.
            pendingMessages++;
            pendingBytes += raw.Length;
            shared?.Add(raw.Length);
        }
        var stored = false;
        try
        {
            if (directory is null)
            {
                lock (gate) memory[mail.Id] = raw.ToArray();
            }
            else
            {
                WriteDurably(MessagePath(mail.Id), raw);
                WriteDurably(EnvelopePath(mail.Id), JsonSerializer.SerializeToUtf8Bytes(mail, Json));
                SyncDirectory(directory);
            }
            stored = true;
        }
        finally
        {
            lock (gate)
            {
                pendingMessages--;
                pendingBytes -= raw.Length;
                if (stored)
                {
                    index[mail.Id] = mail;
                    bytes += mail.Size;
                }
                else
                    shared?.Add(-raw.Length);
            }
            if (!stored && directory is not null)
                TryDeleteFiles(mail.Id);
        }
        Changed?.Invoke();
        return MailboxOutcome.Stored;
    }

    /// <summary>Every message, oldest first.</summary>
    public IReadOnlyList<StoredMail> List()
    {
        lock (gate)
            return [.. index.Values.OrderBy(m => m.ReceivedAt).ThenBy(m => m.Id, StringComparer.Ordinal)];
    }

    public StoredMail? Find(string id)
    {
        lock (gate)
            return index.GetValueOrDefault(id);
    }

    /// <summary>The message's bytes as received; null when there is no such message (or it was deleted meanwhile).</summary>
    public byte[]? Read(string id)
    {
        lock (gate)
        {
            if (!index.ContainsKey(id))
                return null;
            if (directory is null)
                return memory[id];
        }
        try
        {
            return File.ReadAllBytes(MessagePath(id));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public bool Delete(string id)
    {
        StoredMail? removed;
        lock (gate)
        {
            if (index.Remove(id, out removed))
            {
                bytes -= removed.Size;
                memory.Remove(id);
            }
        }
        if (removed is null)
            return false;
        if (directory is not null)
            DeleteFiles(id);
        Changed?.Invoke();
        return true;
    }

    /// <summary>Empties the mailbox, files included.</summary>
    public void Clear()
    {
        List<string> ids;
        lock (gate)
        {
            ids = [.. index.Keys];
            index.Clear();
            memory.Clear();
            bytes = 0;
        }
        if (directory is not null)
            foreach (var id in ids)
                DeleteFiles(id);
        Changed?.Invoke();
    }

    private void Load(bool repair)
    {
        var dir = directory!;
        foreach (var path in System.IO.Directory.EnumerateFiles(dir, "*" + EnvelopeExtension))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            if (!IsId(id))
                continue;
            StoredMail? mail;
            try
            {
                mail = JsonSerializer.Deserialize<StoredMail>(File.ReadAllBytes(path), Json);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                mail = null; // not ours or damaged by hand: a sidecar is only ever renamed into place whole
            }
            if (mail is null || mail.Id != id || mail.To is null || !File.Exists(MessagePath(id)))
            {
                if (repair && mail is not null)
                    TryDelete(path);
                continue;
            }
            index[id] = mail;
            bytes += mail.Size;
        }
        if (!repair)
            return;
        foreach (var path in System.IO.Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(path);
            // A crash mid-write leaves a .tmp; one between the two renames leaves an .eml without
            // its envelope. Neither was acknowledged with 250, so neither is mail.
            if (name.EndsWith(TempExtension, StringComparison.Ordinal)
                || (name.EndsWith(MessageExtension, StringComparison.Ordinal) && IsId(name[..^MessageExtension.Length]) && !index.ContainsKey(name[..^MessageExtension.Length])))
                TryDelete(path);
        }
    }

    private string MessagePath(string id) => Path.Combine(directory!, id + MessageExtension);

    private string EnvelopePath(string id) => Path.Combine(directory!, id + EnvelopeExtension);

    private void DeleteFiles(string id)
    {
        // The envelope first: once it is gone the message no longer exists, even if the .eml stays behind.
        File.Delete(EnvelopePath(id));
        File.Delete(MessagePath(id));
    }

    private void TryDeleteFiles(string id)
    {
        TryDelete(EnvelopePath(id) + TempExtension);
        TryDelete(EnvelopePath(id));
        TryDelete(MessagePath(id) + TempExtension);
        TryDelete(MessagePath(id));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Write to a temporary name, fsync, rename over: the file is either absent or whole.</summary>
    private static void WriteDurably(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + TempExtension;
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// fsync(2) on the directory makes the renames themselves durable (a power cut could otherwise
    /// forget them). .NET cannot open a directory as a file, hence libc; best effort elsewhere.
    /// </summary>
    /// <returns>Whether the directory was fsync'ed (tests check that libc was found).</returns>
    internal static bool SyncDirectory(string path)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
            return false;
        try
        {
            var fd = Native.Open(path, 0 /* O_RDONLY */);
            if (fd < 0)
                return false;
            var synced = Native.Fsync(fd) == 0;
            Native.Close(fd);
            return synced;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex IdPattern();

    private static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        public static extern int Close(int fd);
    }
}
