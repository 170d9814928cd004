# Sign a Parrain identity token in Ruby (standard library only). Copy
# parrain_sign_identity into your server; `ruby sign.rb vectors.json` checks it against the
# published test vectors.
require "base64"
require "json"
require "openssl"

def parrain_sign_identity(secret:, public_key:, email:, first_name: "", external_id: "",
                          ttl_seconds: 43_200, now: nil)
  issued_at = (now || Time.now.to_i).to_i
  claims = {
    "p" => public_key,
    "e" => email.strip.downcase,
    "n" => first_name,
    "x" => external_id,
    "exp" => issued_at + ttl_seconds,
  }
  payload = Base64.urlsafe_encode64(JSON.generate(claims), padding: false)
  key = OpenSSL::HMAC.digest("SHA256", secret, "parrain.identity.v1")
  signature = Base64.urlsafe_encode64(OpenSSL::HMAC.digest("SHA256", key, payload), padding: false)
  "#{payload}.#{signature}"
end

if $PROGRAM_NAME == __FILE__
  vectors = JSON.parse(File.read(ARGV[0] || "vectors.json"))["vectors"]
  failed = 0
  vectors.each do |v|
    token = parrain_sign_identity(
      secret: v["secret"], public_key: v["public_key"], email: v["email"],
      first_name: v["first_name"], external_id: v["external_id"],
      ttl_seconds: v["ttl_seconds"], now: v["issued_at"]
    )
    ok = token == v["token"]
    failed += 1 unless ok
    puts "#{ok ? 'ok  ' : 'FAIL'} #{v['email'].strip}"
  end
  exit(failed.zero? ? 0 : 1)
end
