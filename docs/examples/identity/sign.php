<?php
// Sign a Parrain identity token in PHP (7.4+, no dependencies). Copy parrain_sign_identity()
// into your server; `php sign.php vectors.json` checks it against the published test vectors.

function parrain_b64url(string $bytes): string {
    return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
}

function parrain_sign_identity(string $secret, string $publicKey, string $email,
        string $firstName = '', string $externalId = '', int $ttlSeconds = 43200,
        ?int $now = null): string {
    $issuedAt = $now ?? time();
    $claims = [
        'p' => $publicKey,
        'e' => strtolower(trim($email)),
        'n' => $firstName,
        'x' => $externalId,
        'exp' => $issuedAt + $ttlSeconds,
    ];
    // Compact JSON, UTF-8 as is: the same bytes as the vectors (any valid JSON verifies).
    $json = json_encode($claims, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    $payload = parrain_b64url($json);
    $key = hash_hmac('sha256', 'parrain.identity.v1', $secret, true);
    return $payload . '.' . parrain_b64url(hash_hmac('sha256', $payload, $key, true));
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    $vectors = json_decode(file_get_contents($argv[1] ?? 'vectors.json'), true)['vectors'];
    $failed = 0;
    foreach ($vectors as $v) {
        $token = parrain_sign_identity($v['secret'], $v['public_key'], $v['email'],
            $v['first_name'], $v['external_id'], $v['ttl_seconds'], $v['issued_at']);
        $ok = hash_equals($v['token'], $token);
        $failed += $ok ? 0 : 1;
        echo ($ok ? 'ok   ' : 'FAIL ') . trim($v['email']) . "\n";
    }
    exit($failed ? 1 : 0);
}
