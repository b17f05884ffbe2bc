<?php
// Fills in "wordpress" for every case in cases.json: what WordPress's own wpautop() gives for
// its "input". Run with Debian's packages (apt-get install php-cli wordpress):
//   php tests/data/wpautop/wordpress.php
// The tests read the result; they never need PHP.
define('ABSPATH', '/usr/share/wordpress/');
require '/usr/share/wordpress/wp-includes/version.php';
require '/usr/share/wordpress/wp-includes/formatting.php';
$file = __DIR__ . '/cases.json';
$cases = json_decode(file_get_contents($file), true);
foreach ($cases['cases'] as &$case) {
    $case['wordpress'] = wpautop($case['input']);
}
$cases['wordpress_version'] = $wp_version;
file_put_contents(
    $file,
    json_encode($cases, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n"
);
