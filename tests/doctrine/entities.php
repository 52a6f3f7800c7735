<?php
// The three entities the roster application maps and roster reads; only their fields, for Doctrine's reflection.
namespace Roster\App;

class User { private $id; private $username; private $password; private $roles; private $groupId; private $assignments; }

class LineItem {
    private $id; private $label; private $uri; private $slug; private $isActive;
    private $startAt; private $endAt; private $maxAttempts; private $updatedAt;
}

class Assignment { private $id; private $state; private $attemptsCount; private $updatedAt; private $user; private $lineItem; }
