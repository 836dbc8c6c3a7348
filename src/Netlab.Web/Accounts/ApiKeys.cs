using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Netlab.Data;

namespace Netlab.Web.Accounts;

/// <summary>An API key as its owner sees it: never the secret, which is shown once when created.</summary>
public sealed record ApiKeyDto(Guid Id, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt);

/// <summary>A key just created: the only time the secret is visible.</summary>
public sealed record NewApiKeyDto(Guid Id, string Name, string Key);

/// <summary>Creates, lists, revokes and checks API keys; only their SHA-256 hashes are stored.</summary>
public sealed class ApiKeys(IDbContextFactory<NetlabDbContext> contexts, TimeProvider time)
{
    public const string Prefix = "nlk_";
    public const int MaxNameLength = 100;

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new random key: 32 bytes from the OS's CSPRNG, base64url, with a prefix that says what it is.</summary>
    public static string NewKey() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task<NewApiKeyDto> CreateAsync(string userId, string? name, CancellationToken cancellationToken, string? key = null)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
            throw Hosting.ProblemException.Invalid(new Dictionary<string, string[]> { ["name"] = [$"name is required: 1 to {MaxNameLength} printable characters."] });
        key ??= NewKey();
        var entity = new ApiKeyEntity
        {
            Id = Guid.CreateVersion7(),
            UserId = userId,
            Name = name,
            Hash = Hash(key),
            Prefix = key[..Math.Min(key.Length, 10)],
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ApiKeys.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        return new NewApiKeyDto(entity.Id, entity.Name, key);
    }

    public async Task<IReadOnlyList<ApiKeyDto>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.UserId == userId).ToListAsync(cancellationToken);
        return [.. keys.OrderBy(k => k.CreatedAt).Select(k => new ApiKeyDto(k.Id, k.Name, k.Prefix,
            DateTime.SpecifyKind(k.CreatedAt, DateTimeKind.Utc), k.LastUsedAt is { } used ? DateTime.SpecifyKind(used, DateTimeKind.Utc) : null))];
    }

    /// <summary>Revokes one of the user's keys; false when the user has no key with that id. Takes effect on the next request.</summary>
    public async Task<bool> RevokeAsync(string userId, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.Where(k => k.UserId == userId && k.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>The owner of a key, or null when no such key exists (never was, or revoked).</summary>
    public async Task<string?> FindUserAsync(string key, CancellationToken cancellationToken)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > 200)
            return null;
        var hash = Hash(key);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await db.ApiKeys.FirstOrDefaultAsync(k => k.Hash == hash, cancellationToken);
        if (found is null)
            return null;
        // "Last used" to the minute is enough to spot an unused key, and spares a write per request.
        var now = time.GetUtcNow().UtcDateTime;
        if (found.LastUsedAt is not { } last || now - last > TimeSpan.FromMinutes(1))
        {
            found.LastUsedAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }
        return found.UserId;
    }
}
