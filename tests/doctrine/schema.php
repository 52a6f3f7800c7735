<?php
// Doctrine ORM's SchemaTool on the application's mapping (mapping/*.dcm.xml), as `doctrine:schema:create` runs
// it: prints the DDL, one statement per line ending in ";", and with --create runs it on the database. The tests
// build the roster database this way, and check roster's recorded copy against the printed DDL.
//
// php schema.php PLATFORM DATABASE [--create] [VARIANT...]
//   PLATFORM: mariadb (MariaDB >= 10.2.7: JSON is LONGTEXT), mysql80 (a native JSON column), sqlite
//   DATABASE: host:port/name (MySQL/MariaDB, user root, no password) or the SQLite file's path
//   VARIANT:  ids=bigint | ids=unsigned | group_id=integer | collation=NAME (MySQL/MariaDB tables)
// Variants change the mapping the way deployments differ (SPEC's data model); none is the application's default.

require_once 'Doctrine/ORM/autoload.php';
require_once __DIR__ . '/entities.php';

use Doctrine\DBAL\DriverManager;
use Doctrine\ORM\EntityManager;
use Doctrine\ORM\ORMSetup;
use Doctrine\ORM\Tools\SchemaTool;

$platforms = [
    'mariadb' => Doctrine\DBAL\Platforms\MariaDb1027Platform::class,
    'mysql80' => Doctrine\DBAL\Platforms\MySQL80Platform::class,
    'sqlite' => Doctrine\DBAL\Platforms\SqlitePlatform::class,
];
$name = $argv[1] ?? '';
if (!isset($platforms[$name])) {
    fwrite(STDERR, "schema.php: platform must be one of " . implode(', ', array_keys($platforms)) . "\n");
    exit(2);
}
$database = $argv[2] ?? '';
$create = false;
$variants = [];
foreach (array_slice($argv, 3) as $arg) {
    if ($arg === '--create') {
        $create = true;
        continue;
    }
    [$key, $value] = array_pad(explode('=', $arg, 2), 2, '');
    $variants[$key] = $value;
}

$config = ORMSetup::createXMLMetadataConfiguration([__DIR__ . '/mapping'], true);
$mysql = $name !== 'sqlite';
if ($mysql && !preg_match('~^([^:/]+):(\d+)/(\w+)$~', $database, $where)) {
    fwrite(STDERR, "schema.php: DATABASE must be host:port/name for $name\n");
    exit(2);
}
$connection = DriverManager::getConnection([
    'driver' => $mysql ? 'pdo_mysql' : 'pdo_sqlite',
    ...($mysql
        ? ['host' => $where[1], 'port' => (int) $where[2], 'dbname' => $where[3], 'user' => 'root', 'charset' => 'utf8mb4']
        : ['path' => $database]),
    'platform' => new $platforms[$name](),
    // The application's doctrine.yaml: utf8mb4 tables; the collation Symfony's recipe sets, unless a variant says.
    'defaultTableOptions' => $mysql
        ? ['charset' => 'utf8mb4', 'collate' => $variants['collation'] ?? 'utf8mb4_unicode_ci']
        : [],
], $config);
$entityManager = new EntityManager($connection, $config);
$metadata = $entityManager->getMetadataFactory()->getAllMetadata();

foreach ($metadata as $class) {
    if (($variants['ids'] ?? '') === 'bigint') {
        $class->fieldMappings['id']['type'] = 'bigint';
    } elseif (($variants['ids'] ?? '') === 'unsigned') {
        $class->fieldMappings['id']['options'] = ['unsigned' => true];
    }
    if (($variants['group_id'] ?? '') === 'integer' && isset($class->fieldMappings['groupId'])) {
        $class->fieldMappings['groupId']['type'] = 'integer';
        unset($class->fieldMappings['groupId']['length']);
    }
}

$tool = new SchemaTool($entityManager);
foreach ($tool->getCreateSchemaSql($metadata) as $statement) {
    echo $statement, ";\n";
}
if ($create) {
    $tool->createSchema($metadata);
}
